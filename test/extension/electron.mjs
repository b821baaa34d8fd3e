// The same extension-host suite in desktop VS Code through @vscode/test-electron, for machines
// that can download VS Code (not run in CI here, where code-server stands in):
//   npm run build && node test/extension/electron.mjs
import { runTests } from '@vscode/test-electron';
import { buildHostTests } from '../../scripts/code-server/build-host-tests.mjs';
import { demoWorkspace, repoRoot } from '../../scripts/code-server/workspace.mjs';

const extensionTestsPath = await buildHostTests();
const ws = demoWorkspace({ samples: 2, epochs: 2, prefix: 'tl-electron-ws-' });
try {
  await runTests({ version: '1.100.3', extensionDevelopmentPath: repoRoot, extensionTestsPath, launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust'] });
} catch (e) {
  console.error(`extension-host tests failed: ${e.message ?? e}`);
  process.exit(1);
}

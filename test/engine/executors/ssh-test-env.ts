/** Finds the private test sshd (scripts/sshd/start-local-sshd.sh), without starting it. */
import { readFileSync } from "node:fs";

export interface SshTestEnv {
  config: string;
  host: string;
  dir: string;
}

/** The running test server's ssh_config and alias, or undefined when none runs. */
export function sshTestEnv(dir = process.env.TUNELAB_SSHD_DIR ?? "/tmp/tunelab-sshd"): SshTestEnv | undefined {
  try {
    const text = readFileSync(`${dir}/env.sh`, "utf8");
    const get = (k: string): string | undefined => new RegExp(`^export ${k}=(.*)$`, "m").exec(text)?.[1];
    const config = get("TUNELAB_SSH_CONFIG");
    const host = get("TUNELAB_SSH_HOST");
    return config && host ? { config, host, dir } : undefined;
  } catch {
    return undefined;
  }
}

/** Finds the private test sshd (scripts/sshd/start-local-sshd.sh), without starting it. */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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

/**
 * One ssh_config naming two test servers apart (both use the alias `tunelab-test`): the first as
 * `tunelab-lost`, the second as `tunelab-spare`. Written into `dir`.
 */
export function twoHostConfig(dir: string, envs: { lost: SshTestEnv; spare: SshTestEnv }): { config: string; lost: string; spare: string } {
  const rename = (e: SshTestEnv, alias: string): string => readFileSync(e.config, "utf8").replace(new RegExp(`^Host ${e.host}$`, "m"), `Host ${alias}`);
  const config = join(dir, "two-hosts.ssh_config");
  writeFileSync(config, `${rename(envs.lost, "tunelab-lost")}\n${rename(envs.spare, "tunelab-spare")}`);
  return { config, lost: "tunelab-lost", spare: "tunelab-spare" };
}

/**
 * Runs Slurm's client commands (sbatch, squeue, scancel) as argument vectors.
 * An interface, so the executor's logic can be driven by a scripted fake in
 * unit tests while the integration tests use the real cluster.
 */
import { execa } from "execa";

export interface CommandResult {
  /** null when the command could not be started or timed out. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface SlurmCli {
  run(argv: readonly string[]): Promise<CommandResult>;
}

export interface ExecSlurmCliOptions {
  /** Added over this process's environment (e.g. SLURM_CONF). */
  env?: Readonly<Record<string, string>>;
  /** A controller that does not answer within this is treated as a failed call. Default 30000. */
  timeoutMs?: number;
}

/** The real commands, found on PATH. */
export function execSlurmCli(opts: ExecSlurmCliOptions = {}): SlurmCli {
  return {
    async run(argv) {
      const [program, ...args] = argv;
      if (!program) return { code: null, stdout: "", stderr: "empty command" };
      const r = await execa(program, args, {
        env: { ...opts.env }, extendEnv: true, reject: false, timeout: opts.timeoutMs ?? 30_000, stdin: "ignore",
      });
      let stderr = r.stderr;
      if (r.failed && r.exitCode === undefined) {
        const code = (r as { code?: string }).code;
        stderr = code === "ENOENT"
          ? `\`${program}\` is not installed or not on PATH: the Slurm executor needs the Slurm client commands (sbatch, squeue, scancel) on this machine`
          : `${program}: ${r.shortMessage}`;
      }
      return { code: r.exitCode ?? null, stdout: r.stdout, stderr };
    },
  };
}

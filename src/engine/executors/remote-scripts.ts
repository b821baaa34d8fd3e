/**
 * The shell scripts the ssh executor runs on a host, and the parsing of what
 * they print. Pure: every value goes through remote-quote.ts, and the tests
 * run these scripts with `sh` locally and through the real sshd.
 *
 * Layout of one trial attempt on the host (`dir`): params.json, report.jsonl
 * (the report channel: the trial's fd 3 is appended to it), stdout.log,
 * stderr.log, and exit_code once the trial ended by itself.
 */
import { envWords, shCommand, shQuote } from "./remote-quote.ts";

/** The report file's name; the executor tails it by byte offset. */
export const REPORT_FILE = "report.jsonl";
/** Most report bytes one poll brings back per trial (the rest comes next poll). */
export const POLL_MAX_BYTES = 4 * 1024 * 1024;

export interface RemoteLaunch {
  /** The attempt's directory on the host (absolute). */
  dir: string;
  /** Working directory on the host (absolute). */
  cwd: string;
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  /** params.json content. */
  params: string;
}

/** Starts the trial detached (own session, no tty, no inherited pipes) and prints `TUNELAB_STARTED <pid> <starttime>`. */
export function launchScript(l: RemoteLaunch): string {
  const d = shQuote(l.dir, "the trial dir");
  // The wrapper sh is the session leader: `kill -- -pid` reaches the trial and all it spawned,
  // and it writes exit_code only when the trial ended by itself (a killed group writes nothing).
  const wrapper = `exec 3>>"$0/${REPORT_FILE}"; "$@"; c=$?; echo $c >"$0/exit_code.tmp" && mv "$0/exit_code.tmp" "$0/exit_code"`;
  return [
    `mkdir -p ${d} || exit 97`,
    `printf '%s' ${shQuote(l.params, "the trial's params.json")} >${d}/params.json || exit 97`,
    `rm -f ${d}/exit_code; : >>${d}/${REPORT_FILE}`,
    `cd ${shQuote(l.cwd, "the trial's working directory")} || { echo "tunelab: the working directory does not exist on this host" >&2; exit 98; }`,
    // `&` on a simple command with every stdio redirected: ssh returns at once and the trial survives a drop.
    `setsid nohup env ${envWords(l.env).join(" ")} sh -c ${shQuote(wrapper)} ${d} ${shCommand(l.argv, "the trial command")} </dev/null >>${d}/stdout.log 2>>${d}/stderr.log &`,
    `p=$!; set -- $(sed 's/^.*) //' /proc/$p/stat); echo "TUNELAB_STARTED $p \${20}"`,
  ].join("\n");
}

/** Parses the launch script's answer; undefined when the trial did not start. */
export function parseStarted(stdout: string): { pid: number; startTime: string } | undefined {
  const m = /TUNELAB_STARTED (\d+) (\d+)/.exec(stdout);
  return m ? { pid: Number(m[1]), startTime: m[2]! } : undefined;
}

export interface PollTarget {
  id: string;
  dir: string;
  pid: number;
  startTime: string;
  /** Report bytes already read. */
  offset: number;
}

/** One script that reports every trial of a host: alive, exit code, and the new report bytes. */
export function pollScript(targets: readonly PollTarget[], maxBytes = POLL_MAX_BYTES): string {
  const lines = targets.map((t) => {
    const d = shQuote(t.dir, "the trial dir");
    // Liveness first, then the exit code, then the size: once the wrapper is gone, exit_code
    // (written before it exits) and the report file are final, so nothing is read half-done.
    return [
      `a=0; if st=$(sed 's/^.*) //' /proc/${t.pid}/stat 2>/dev/null); then set -- $st; [ "$1" != Z ] && [ "\${20}" = ${t.startTime} ] && a=1; fi`,
      `e=$(cat ${d}/exit_code 2>/dev/null) || e=-; [ -n "$e" ] || e=-`,
      `s=$(stat -c %s ${d}/${REPORT_FILE} 2>/dev/null) || s=${t.offset}; n=$((s - ${t.offset})); [ $n -gt ${maxBytes} ] && n=${maxBytes}; [ $n -lt 0 ] && n=0`,
      `echo "@@tunelab ${shQuote(t.id)} $a $e $n"; [ $n -gt 0 ] && tail -c +${t.offset + 1} ${d}/${REPORT_FILE} | head -c $n`,
    ].join("\n");
  });
  return [...lines, "true"].join("\n");
}

export interface PollEntry {
  id: string;
  alive: boolean;
  /** The trial's own exit code when it ended by itself. */
  exitCode: number | undefined;
  bytes: Buffer;
  /** More bytes were waiting than one poll brings. */
  truncated: boolean;
}

/** Splits a poll's binary output into its frames (header line, then exactly n bytes). */
export function parsePollOutput(out: Buffer, maxBytes = POLL_MAX_BYTES): PollEntry[] {
  const entries: PollEntry[] = [];
  const marker = Buffer.from("@@tunelab ");
  let at = out.indexOf(marker);
  while (at !== -1) {
    const nl = out.indexOf(0x0a, at);
    if (nl === -1) break;
    const [, id, alive, exit, n] = out.subarray(at, nl).toString("utf8").split(" ");
    const size = Number(n);
    if (id === undefined || !Number.isInteger(size)) break;
    const bytes = Buffer.from(out.subarray(nl + 1, nl + 1 + size));
    const code = exit === "-" || exit === undefined ? undefined : Number(exit);
    entries.push({ id, alive: alive === "1", exitCode: Number.isInteger(code) ? code : undefined, bytes, truncated: size >= maxBytes });
    at = out.indexOf(marker, nl + 1 + size);
  }
  return entries;
}

/** SIGTERM the trial's process group, SIGKILL after `graceMs`; exits once the group is gone. */
export function stopScript(pid: number, startTime: string, graceMs: number): string {
  const ticks = Math.max(1, Math.ceil(graceMs / 100));
  // Only signal the group if the pid is still the process we started (pids are reused).
  return [
    `st=$(sed 's/^.*) //' /proc/${pid}/stat 2>/dev/null) || exit 0; set -- $st; [ "\${20}" = ${startTime} ] || exit 0`,
    `kill -TERM -- -${pid} 2>/dev/null; i=0`,
    `while [ $i -lt ${ticks} ] && kill -0 -- -${pid} 2>/dev/null; do sleep 0.1; i=$((i+1)); done`,
    `kill -KILL -- -${pid} 2>/dev/null; true`,
  ].join("\n");
}

/** The last `bytes` of a remote file on stdout (nothing when it is missing). */
export function tailScript(path: string, bytes: number): string {
  return `tail -c ${bytes} ${shQuote(path)} 2>/dev/null; true`;
}

/**
 * The one function that turns values into text for a remote POSIX shell
 * (ARCHITECTURE invariant 3). Everything the ssh executor sends to a host —
 * argv, env values, paths — goes through here, so a config value with spaces,
 * quotes, `$()`, backticks or newlines is always one literal word.
 *
 * The remote login shell must be POSIX (sh, bash, dash, zsh, ksh): ssh hands
 * the command line to it. csh and fish quote differently and are not supported.
 */

/** A value that cannot be passed to a remote process at all. */
export class RemoteQuoteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RemoteQuoteError";
  }
}

// Words made only of these need no quotes (keeps logged commands readable).
// `~`, `=` at the start, `*?[]{}`, `$`, `!`, whitespace and quotes are all excluded.
const SAFE = /^[A-Za-z0-9_@%+:,./-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Quotes one word for a POSIX shell; `what` names the value in errors (e.g. `env FOO`). */
export function shQuote(value: string, what: unknown = "a remote argument"): string {
  // `what` is unknown so that `argv.map(shQuote)` (which passes an index) stays valid.
  if (value.includes("\0")) {
    what = typeof what === "string" ? what : "a remote argument";
    throw new RemoteQuoteError(`${String(what)} contains a NUL byte, which no process argument or environment value can hold: ${JSON.stringify(value.slice(0, 60))}`);
  }
  if (value !== "" && SAFE.test(value)) return value;
  // Inside single quotes nothing is special but the quote itself, which is closed, escaped and reopened.
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes an argument vector into one command line. */
export function shCommand(argv: readonly string[], what = "a remote command"): string {
  if (argv.length === 0) throw new RemoteQuoteError(`${what} is empty`);
  return argv.map((a, i) => shQuote(a, `${what}, argument ${i}`)).join(" ");
}

/** `NAME=value` words for `env` (names checked, values quoted). */
export function envWords(env: Readonly<Record<string, string>>): string[] {
  return Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name)) {
      throw new RemoteQuoteError(`environment variable name ${JSON.stringify(name)} is not a valid shell name (letters, digits, _; not starting with a digit)`);
    }
    return `${name}=${shQuote(value, `environment variable ${name}`)}`;
  });
}

/**
 * A path for the remote shell where a leading `~/` means the remote home:
 * `~/a b` → `"$HOME"/'a b'`. Anything else is quoted literally.
 */
export function shPath(path: string, what = "a remote path"): string {
  if (path === "~") return `"$HOME"`;
  if (path.startsWith("~/")) return `"$HOME"/${shQuote(path.slice(2) || ".", what)}`;
  return shQuote(path, what);
}

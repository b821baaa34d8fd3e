/**
 * The remote quoting function: every value comes back as exactly one literal
 * word, through `sh -c` here and through the real ssh server (test/engine does
 * not need it; the ssh half is skipped with a message when no sshd is running).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import fc from "fast-check";
import { envWords, RemoteQuoteError, shCommand, shPath, shQuote } from "../../../src/engine/executors/remote-quote.ts";
import { sshTestEnv } from "./ssh-test-env.ts";

const canaryDir = mkdtempSync(join(tmpdir(), "tunelab-quote-"));
const canary = join(canaryDir, "pwned");
// Hostile pieces that would run something if they were ever unquoted.
const hostile = fc.constantFrom(
  `$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`, `"; touch ${canary}; "`,
  "\n", "\r\n", " ", "\t", "'", '"', "\\", "$HOME", "${HOME}", "*", "?", "[a]", "~", "!", "#", "&", "|", ";", "<", ">", "{a,b}", "-n", "--", "=", "é", "😀",
);
const word = fc.array(fc.oneof(fc.string({ unit: "grapheme" }), hostile), { maxLength: 6 }).map((parts) => parts.join(""));

/** printf each argument NUL-terminated, so the split shows word boundaries exactly. */
const PRINT_ARGS = "printf '%s\\0'";

function splitNul(out: Buffer): string[] {
  const s = out.toString("utf8");
  return s === "" ? [] : s.slice(0, -1).split("\0");
}

test("shQuote: every value is one literal word through sh -c (property)", () => {
  fc.assert(
    fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), (values) => {
      const out = execFileSync("sh", ["-c", `${PRINT_ARGS} ${values.map((v) => shQuote(v)).join(" ")}`]);
      assert.deepEqual(splitNul(out), values);
    }),
    { numRuns: 300, seed: 9 },
  );
  assert.equal(existsSync(canary), false, "a quoted value executed a command");
});

test("shQuote leaves safe words bare and quotes the rest", () => {
  assert.equal(shQuote("abc/def-1.2:x@y%z+w,v"), "abc/def-1.2:x@y%z+w,v");
  assert.equal(shQuote(""), "''");
  assert.equal(shQuote("a b"), "'a b'");
  assert.equal(shQuote("it's"), `'it'\\''s'`);
  assert.equal(shQuote("~/x"), "'~/x'");
});

test("a NUL byte is refused with a message naming the value", () => {
  assert.throws(() => shQuote("a\0b", "environment variable LR"), (e: unknown) => e instanceof RemoteQuoteError && /LR.*NUL/.test(e.message));
  assert.throws(() => shCommand(["python", "x\0"]), /argument 1 contains a NUL/);
});

test("envWords checks names and quotes values", () => {
  assert.deepEqual(envWords({ A: "1 2", B_2: "$(x)" }), ["A='1 2'", "B_2='$(x)'"]);
  assert.throws(() => envWords({ "A B": "1" }), /not a valid shell name/);
  assert.throws(() => envWords({ "1A": "1" }), /not a valid shell name/);
});

test("shPath expands only a leading ~/ to the remote home", () => {
  const home = execFileSync("sh", ["-c", `printf %s ${shPath("~/a b/'c'")}`], { env: { ...process.env, HOME: "/h" } }).toString();
  assert.equal(home, "/h/a b/'c'");
  assert.equal(execFileSync("sh", ["-c", `printf %s ${shPath("/x/~/y")}`]).toString(), "/x/~/y");
});

test("shCommand survives the real ssh server: values arrive as the same words (property)", (t) => {
  const env = sshTestEnv();
  if (!env) return t.skip("no private sshd running (start it with scripts/sshd/start-local-sshd.sh)");
  // One ssh round trip per batch keeps the property test fast.
  fc.assert(
    fc.property(fc.array(word, { minLength: 1, maxLength: 30 }), (values) => {
      const r = spawnSync("ssh", ["-F", env.config, env.host, `${PRINT_ARGS} ${values.map((v) => shQuote(v)).join(" ")}`], { timeout: 20_000 });
      assert.equal(r.status, 0, String(r.stderr));
      assert.deepEqual(splitNul(r.stdout), values);
    }),
    { numRuns: 25, seed: 9 },
  );
  assert.equal(existsSync(canary), false, "a quoted value executed a command on the ssh host");
});

test.after(() => rmSync(canaryDir, { recursive: true, force: true }));

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OutputTail } from "../../../src/engine/executors/output-tail.ts";

void describe("OutputTail", () => {
  void it("keeps the last lines within its byte bound, without a cut first line", () => {
    const tail = new OutputTail(64, 3);
    for (let i = 0; i < 1000; i++) tail.push(Buffer.from(`line ${i} ééé\n`));
    assert.equal(tail.text(), "line 997 ééé\nline 998 ééé\nline 999 ééé");
  });

  void it("keeps short output whole and adds notes as lines", () => {
    const tail = new OutputTail();
    tail.push(Buffer.from("partial"));
    tail.note("\ntunelab: note");
    assert.equal(tail.text(), "partial\ntunelab: note");
  });
});

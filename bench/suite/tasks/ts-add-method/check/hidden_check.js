"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const Module = require("node:module");
const ts = require(process.env.SKIFF_BENCH_TYPESCRIPT || "/work/main/vscode-client/node_modules/typescript");

// Transpile a .ts file to CommonJS and load it like a module.
function loadTs(file) {
  const filename = path.resolve(file);
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    fileName: filename,
  });
  const mod = new Module(filename, module);
  mod.filename = filename;
  mod.paths = Module._nodeModulePaths(path.dirname(filename));
  mod._compile(outputText, filename);
  return mod.exports;
}

// Type errors of a .ts file under strict mode (ES2022 library plus `console`).
function typeErrors(file) {
  const program = ts.createProgram([path.resolve(file), path.join(__dirname, "hidden_env.d.ts")], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    lib: ["lib.es2022.d.ts"],
    types: [],
  });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
}
assert.deepEqual(typeErrors("queue.ts"), [], "queue.ts has type errors in strict mode");

const { Queue, drain } = loadTs("queue.ts");
const queue = new Queue();
assert.equal(queue.peek(), undefined);
queue.enqueue("a");
queue.enqueue("b");
assert.equal(queue.peek(), "a");
assert.equal(queue.peek(), "a");
assert.equal(queue.size, 2);
assert.equal(queue.dequeue(), "a");
assert.equal(queue.peek(), "b");
queue.enqueue("c");
assert.deepEqual(drain(queue), ["b", "c"]);
assert.ok(queue.isEmpty());
assert.equal(queue.peek(), undefined);
console.log("ok");

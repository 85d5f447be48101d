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
const errors = typeErrors("math.ts");
assert.deepEqual(errors, [], "math.ts has type errors in strict mode");

const source = ts.createSourceFile("math.ts", fs.readFileSync("math.ts", "utf8"), ts.ScriptTarget.ES2022, true);
const functions = [];
(function visit(node) {
  if (ts.isFunctionDeclaration(node)) functions.push(node);
  if (ts.isVariableDeclaration(node) && node.initializer && ts.isArrowFunction(node.initializer)) {
    functions.push(node.initializer);
  }
  ts.forEachChild(node, visit);
})(source);
assert.ok(functions.length >= 4, "the four functions are still there");
for (const fn of functions) {
  assert.ok(fn.type, `${fn.getText().slice(0, 40)}: no return type`);
  for (const param of fn.parameters) {
    assert.ok(param.type || param.initializer, `parameter ${param.name.getText()} has no type`);
  }
}

const m = loadTs("math.ts");
assert.equal(m.sum([1, 2, 3]), 6);
assert.equal(m.average([2, 4]), 3);
assert.equal(m.average([]), 0);
assert.equal(m.clamp(15, 0, 10), 10);
assert.equal(m.clamp(-1, 0, 10), 0);
assert.equal(m.roundTo(3.14159), 3.14);
assert.equal(m.roundTo(3.14159, 3), 3.142);
console.log("ok");

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
const d = loadTs("duration.ts");
assert.equal(d.formatDuration(65), "1:05");
assert.equal(d.formatDuration(5), "0:05");
assert.equal(d.formatDuration(600), "10:00");
assert.equal(d.formatDuration(3599), "59:59");
assert.equal(d.parseDuration("3:07"), 187);
assert.throws(() => d.parseDuration("abc"));
assert.equal(d.playlistLength([{ title: "a", seconds: 61 }, { title: "b", seconds: 8 }]), "1:09");
console.log("ok");

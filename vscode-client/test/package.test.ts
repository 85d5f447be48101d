/**
 * Packaging: builds the production bundle, packs the .vsix offline with vsce (--no-dependencies: the
 * bundle carries vscode-languageclient), checks what went in, and loads the bundled extension module.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import * as vscodeStub from 'vscode';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'test-output');
const VSIX = path.join(OUT, 'skiff.vsix');

/** Names and contents of the entries of a zip file (central directory; stored or deflated). */
function readZip(file: string): Map<string, Buffer> {
  const buf = fs.readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    const dataStart = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(dataStart, dataStart + size);
    entries.set(name, method === 8 ? zlib.inflateRawSync(raw) : Buffer.from(raw));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

describe('vsix package', () => {
  beforeAll(() => {
    fs.mkdirSync(OUT, { recursive: true });
    fs.rmSync(VSIX, { force: true });
    execFileSync(process.execPath, ['esbuild.mjs', '--production'], { cwd: ROOT, stdio: 'pipe' });
    const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
    execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', VSIX], { cwd: ROOT, stdio: 'pipe' });
  }, 120_000);

  it('contains the bundle, the stylesheet, the manifest, README and LICENSE, and nothing else', () => {
    const entries = readZip(VSIX);
    const names = [...entries.keys()].filter((n) => n.startsWith('extension/')).sort();
    expect(names).toEqual([
      'extension/LICENSE.txt',
      'extension/media/chat.css',
      'extension/media/skiff.svg',
      'extension/out/extension.js',
      'extension/out/webview.js',
      'extension/package.json',
      'extension/readme.md',
    ]);
    const manifest = JSON.parse(entries.get('extension/package.json')!.toString('utf8'));
    expect(manifest.main).toBe('./out/extension.js');
    expect(manifest.engines.vscode).toBe('^1.91.0');
    expect(fs.statSync(VSIX).size).toBeLessThan(1_000_000);
    // The language client is bundled, `vscode` is not.
    const bundle = entries.get('extension/out/extension.js')!.toString('utf8');
    expect(bundle).toContain('require("vscode")');
    expect(bundle).not.toMatch(/require\("vscode-languageclient/);
  });

  it('bundles an extension module that loads with only `vscode` provided', () => {
    const require = createRequire(import.meta.url);
    const Module = require('node:module') as { _load: (...args: unknown[]) => unknown };
    const original = Module._load;
    // The language client subclasses a few vscode classes at load time (CompletionItem, CodeLens, …):
    // add an empty class for each one the stub lacks.
    const bundle = fs.readFileSync(path.join(ROOT, 'out', 'extension.js'), 'utf8');
    const vscode: Record<string, unknown> = { ...vscodeStub };
    for (const m of bundle.matchAll(/extends [\w$]+\.([A-Z]\w*)/g)) if (!(m[1]! in vscode)) vscode[m[1]!] = class {};
    Module._load = function (request: unknown, ...rest: unknown[]) {
      if (request === 'vscode') return vscode;
      return original.call(this, request, ...rest);
    };
    try {
      const ext = require(path.join(ROOT, 'out', 'extension.js'));
      expect(typeof ext.activate).toBe('function');
      expect(typeof ext.deactivate).toBe('function');
    } finally {
      Module._load = original;
    }
  });
});

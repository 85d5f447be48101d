// Bundles the extension (Node, CommonJS, `vscode` external) and the chat webview script (browser IIFE).
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');

export const extensionOptions = {
  entryPoints: ['src/extension.ts'],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: 'out/extension.js',
  external: ['vscode'],
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

export const webviewOptions = {
  entryPoints: ['src/webview/main.ts'],
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome114',
  outfile: 'out/webview.js',
  sourcemap: false,
  minify: production,
  logLevel: 'warning',
};

await Promise.all([esbuild.build(extensionOptions), esbuild.build(webviewOptions)]);
console.log(`built out/extension.js and out/webview.js${production ? ' (production)' : ''}`);

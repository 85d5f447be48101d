/** Helpers over the recording `vscode` stub: an editor with diagnostics, a webview view, an extension context. */
import * as vscode from 'vscode';

export const { stub } = vscode as unknown as { stub: any };

export const BASE = 'def mean(xs):\n    total = sum(xs)\n    return total / len(xs)\n';
export const flush = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};

export function makeContext() {
  const memento = new Map<string, unknown>();
  return {
    subscriptions: [] as { dispose(): unknown }[],
    extensionUri: vscode.Uri.file('/ext'),
    globalState: { get: (k: string) => memento.get(k), update: async (k: string, v: unknown) => void memento.set(k, v), keys: () => [...memento.keys()] },
  } as any;
}

/** A webview view as VS Code hands it to the provider: records posted messages, `send` plays the page. */
export function fakeView() {
  const posted: any[] = [];
  let onMessage: (m: unknown) => void = () => undefined;
  let onDispose: () => void = () => undefined;
  const view = {
    webview: {
      options: {},
      html: '',
      cspSource: 'https://csp.example',
      asWebviewUri: (u: vscode.Uri) => ({ toString: () => `https://webview.example${u.path}` }),
      onDidReceiveMessage: (h: (m: unknown) => void) => {
        onMessage = h;
        return new vscode.Disposable(() => undefined);
      },
      postMessage: (m: unknown) => {
        posted.push(m);
        return Promise.resolve(true);
      },
    },
    onDidDispose: (h: () => void) => {
      onDispose = h;
      return new vscode.Disposable(() => undefined);
    },
  };
  return { view, posted, send: (m: unknown) => onMessage(m), close: () => onDispose() };
}

/** An editor on /work/demo/stats.py (BASE) with the selection given, and two diagnostics in the file. */
export function setEditor(selection: [number, number, number, number]) {
  const uri = vscode.Uri.file('/work/demo/stats.py');
  const document = (vscode as any).makeDocument(uri, BASE);
  const sel = new vscode.Selection(new vscode.Position(selection[0], selection[1]), new vscode.Position(selection[2], selection[3]));
  stub.activeTextEditor = { document, selection: sel };
  const diag = new vscode.Diagnostic(new vscode.Range(1, 4, 1, 9), '"total" is not defined', vscode.DiagnosticSeverity.Error);
  diag.source = 'pyright';
  const far = new vscode.Diagnostic(new vscode.Range(40, 0, 40, 1), 'far away', vscode.DiagnosticSeverity.Warning);
  stub.diagnostics.set(uri.toString(), [diag, far]);
  return uri;
}

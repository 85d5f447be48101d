/** The chat webview view in the side bar: serves the CSP-locked page, relays messages both ways. */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { CHAT_VIEW_ID } from './commands';
import { chatHtml, makeNonce } from './webview/html';
import { type FromWebview, type ToWebview, isFromWebview } from './webview/messages';

export class ChatViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  onMessage: (message: FromWebview) => void = () => undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const webview = view.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'out'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    webview.html = chatHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(() => randomBytes(1)[0]! / 256),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'out', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, 'media', 'chat.css')).toString(),
    });
    webview.onDidReceiveMessage((message: unknown) => {
      if (!isFromWebview(message)) return;
      if (message.type === 'ready') this.ready = true;
      this.onMessage(message);
    });
    view.onDidDispose(() => {
      if (this.view === view) {
        this.view = undefined;
        this.ready = false;
      }
    });
  }

  /** Posts to the page once it said it is ready; earlier messages are dropped (it asks for a snapshot). */
  post(message: ToWebview): void {
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }

  async reveal(focusInput = false, text?: string): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (focusInput) this.post({ type: 'focusInput', ...(text ? { text } : {}) });
  }
}

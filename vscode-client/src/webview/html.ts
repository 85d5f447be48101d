/** The chat webview's HTML shell with a strict Content-Security-Policy (pure). */
import { escapeHtml } from './markdown';

export interface ChatHtmlOptions {
  /** webview.cspSource: the origin local resources are served from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** A nonce from a random source (crypto in the extension; injectable for tests). */
export function makeNonce(random: () => number = Math.random, length = 32): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < length; i++) out += chars[Math.floor(random() * chars.length) % chars.length];
  return out;
}

export function chatHtml(opts: ChatHtmlOptions): string {
  const csp = contentSecurityPolicy(opts.cspSource, opts.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(opts.styleUri)}">
<title>Skiff</title>
</head>
<body>
<div id="app">
  <header class="toolbar">
    <select id="session-select" aria-label="Session" title="Sessions"></select>
    <button id="refresh-sessions" class="icon-btn" data-action="refreshSessions" title="Refresh sessions" aria-label="Refresh sessions">⟳</button>
    <button id="new-chat" class="icon-btn" data-action="newChat" title="New chat" aria-label="New chat">+</button>
  </header>
  <main id="messages" aria-live="polite"></main>
  <footer class="composer">
    <div id="context-chip" class="chip hidden"><span id="context-label"></span><button class="chip-x" data-action="clearContext" title="Do not send the editor selection" aria-label="Remove context">×</button></div>
    <textarea id="prompt" rows="3" placeholder="Ask Skiff… (Enter to send, Shift+Enter for a new line)" aria-label="Prompt"></textarea>
    <div class="composer-row">
      <select id="model-select" aria-label="Model" title="Model"></select>
      <span class="spacer"></span>
      <button id="stop" class="btn danger hidden" data-action="stop" title="Stop the running turn">■ Stop</button>
      <button id="send" class="btn primary" data-action="send" title="Send (Enter)">Send</button>
    </div>
    <div class="usage"><span id="usage-tokens"></span><span id="ctx-meter" class="ctx-meter hidden" title="Context window fill"><span id="ctx-fill" class="ctx-fill"></span></span><span id="usage-context"></span></div>
  </footer>
</div>
<script nonce="${escapeHtml(opts.nonce)}" src="${escapeHtml(opts.scriptUri)}"></script>
</body>
</html>
`;
}

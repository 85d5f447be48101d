/** The chat webview view: its page, the messages both ways, the editor context a prompt carries. */
import { describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { ChatViewProvider } from '../src/chatView';
import { CHAT_VIEW_ID } from '../src/commands';
import { Methods } from '../src/protocol';
import { activate, api, useExtensionHarness } from './extensionHarness';
import { fakeView, flush, setEditor, stub } from './vscodeFixtures';
import { SESSION, TURN } from './fixtures/turn';

vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));

useExtensionHarness();

describe('chat view', () => {
  it('serves a CSP-locked page and answers the webview', async () => {
    const client = await activate();
    const { view, posted, send } = fakeView();
    stub.webviewProviders.get(CHAT_VIEW_ID).resolveWebviewView(view);
    const html: string = view.webview.html;
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('style-src https://csp.example');
    const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(html)![1];
    expect(html).toContain(`<script nonce="${nonce}" src="https://webview.example/ext/out/webview.js"></script>`);
    expect(html).toContain('href="https://webview.example/ext/media/chat.css"');
    expect((view.webview.options as any).enableScripts).toBe(true);

    send({ type: 'ready' });
    await flush();
    expect(posted[0]).toMatchObject({ type: 'snapshot' });
    expect(posted.some((m) => m.type === 'models')).toBe(true);

    const uri = setEditor([0, 0, 2, 0]);
    client.on(Methods.chat, async () => {
      for (const p of TURN) client.notify(Methods.update, p);
      return { sessionId: SESSION, stopReason: 'end_turn' };
    });
    send({ type: 'send', text: 'add a docstring', sessionId: null });
    await flush();
    const chat = client.requests(Methods.chat)[0]!;
    expect(chat.params).toEqual({
      prompt: 'add a docstring',
      context: {
        uri: uri.toString(),
        range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } },
        diagnostics: [{ range: { start: { line: 1, character: 4 }, end: { line: 1, character: 9 } }, severity: 1, source: 'pyright', message: '"total" is not defined' }],
      },
    });
    expect(posted.filter((m) => m.type === 'update')).toHaveLength(TURN.length);
    expect(posted.some((m) => m.type === 'turnEnded')).toBe(true);
    expect(api.controller.store.state.sessions[SESSION]!.items[0]).toMatchObject({ kind: 'user', context: 'stats.py:1-2' });

    // The chip can be cleared: the next prompt carries no context.
    send({ type: 'clearContext' });
    send({ type: 'send', text: 'more', sessionId: SESSION });
    await flush();
    expect(client.requests(Methods.chat)[1]!.params).toEqual({ prompt: 'more', sessionId: SESSION });
  });

});

describe('ChatViewProvider', () => {
  it('posts only to a page that said it is ready, and relays what the page sends', () => {
    const provider = new ChatViewProvider(vscode.Uri.file('/ext'));
    const received: unknown[] = [];
    provider.onMessage = (m) => received.push(m);
    provider.post({ type: 'focusInput' });
    const { view, posted, send, close } = fakeView();
    provider.resolveWebviewView(view as any);
    expect((view.webview.options as any).localResourceRoots.map((u: vscode.Uri) => u.path)).toEqual(['/ext/out', '/ext/media']);
    provider.post({ type: 'focusInput' });
    expect(posted).toEqual([]);
    send('not a message');
    send({ no: 'type' });
    expect(received).toEqual([]);
    send({ type: 'ready' });
    expect(received).toEqual([{ type: 'ready' }]);
    provider.post({ type: 'focusInput' });
    expect(posted).toEqual([{ type: 'focusInput' }]);
    close();
    provider.post({ type: 'focusInput' });
    expect(posted).toHaveLength(1);
  });

  it('reveals the view, and focuses its input with a text when asked', async () => {
    const provider = new ChatViewProvider(vscode.Uri.file('/ext'));
    const { view, posted, send } = fakeView();
    provider.resolveWebviewView(view as any);
    send({ type: 'ready' });
    await provider.reveal();
    expect(stub.executed.map((e: any) => e.command)).toEqual([`${CHAT_VIEW_ID}.focus`]);
    expect(posted).toEqual([]);
    await provider.reveal(true, 'explain this');
    await provider.reveal(true);
    expect(posted).toEqual([{ type: 'focusInput', text: 'explain this' }, { type: 'focusInput' }]);
  });
});

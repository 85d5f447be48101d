import { describe, expect, it } from 'vitest';
import { type ChatAction, initialState, reduce } from '../src/chatState';
import { chatHtml, contentSecurityPolicy, makeNonce } from '../src/webview/html';
import { footerModel, renderChecks, renderDiffFile, renderItem, renderModelOptions, renderProposal, renderSessionOptions, streamingKey } from '../src/webview/render';
import { parseUnifiedDiff } from '../src/diff';
import { PROPOSAL, SESSION, TURN, VERIFICATION_FAILED, VERIFICATION_OK } from './fixtures/turn';

const state = [{ type: 'prompt', sessionId: null, localId: 'l', text: '<b>hi</b> & bye' } as ChatAction, ...TURN.map((params) => ({ type: 'update', params }) as ChatAction)].reduce(reduce, initialState());
const session = state.sessions[SESSION]!;
const opts = { open: {}, streamingKey: streamingKey(session) };

describe('item rendering', () => {
  const html = session.items.map((i) => renderItem(i, opts)).join('\n');

  it('never emits inline styles or event handlers (the CSP forbids them)', () => {
    expect(html).not.toMatch(/\sstyle=/);
    expect(html).not.toMatch(/\son[a-z]+=/);
    expect(html).not.toContain('<script');
  });

  it('escapes user text', () => {
    expect(html).toContain('<div class="bubble">&lt;b&gt;hi&lt;/b&gt; &amp; bye</div>');
  });

  it('renders thoughts and tool calls as collapsible details with status', () => {
    expect(html).toMatch(/<details class="item thought" data-key="i\d+"><summary>/);
    expect(html).toContain('<span class="tool-title">read stats.py</span><span class="badge status-completed">done</span>');
    expect(html).toContain('&quot;path&quot;: &quot;stats.py&quot;');
  });

  it('renders the streaming assistant message as markdown with a cursor', () => {
    expect(opts.streamingKey).toBe(session.items.at(-1)!.key);
    expect(html).toMatch(/<div class="item assistant md streaming" data-key="i\d+"><p>I added a <strong>docstring<\/strong> to <code>mean\(\)<\/code>/);
  });

  it('renders a pending proposal with a coloured diff and review buttons', () => {
    expect(html).toContain('data-action="openProposal" data-id="a1b2c3d4e5f6"');
    expect(html).toContain('data-action="acceptProposal"');
    expect(html).toContain('data-action="rejectProposal"');
    expect(html).toContain('<tr class="d-add">');
    expect(html).toContain('<tr class="d-del">');
    expect(html).toContain('<span class="plus">+2</span> <span class="minus">−1</span>');
  });

  it('offers Undo for an applied proposal and nothing for a rejected one', () => {
    expect(renderProposal({ ...PROPOSAL, status: 'applied' }, 'k', { open: {} })).toContain('data-action="undoProposal"');
    const rejected = renderProposal({ ...PROPOSAL, status: 'rejected' }, 'k', { open: {} });
    expect(rejected).not.toContain('data-action');
    expect(rejected).toContain('Rejected');
  });

  it('shows the checks that travel with a proposal, each marked', () => {
    const ok = renderProposal({ ...PROPOSAL, verification: VERIFICATION_OK }, 'k', { open: {} });
    expect(ok).toContain(
      '<div class="proposal-summary proposal-checks checks-ok" title="Checks passed: syntax ok · 4 tests passed"><span class="checks-label muted">Checks:</span> ' +
        '<span class="check check-ok" data-check="syntax"><span class="check-mark plus">✓</span> syntax ok</span><span class="check-sep muted"> · </span>' +
        '<span class="check check-ok" data-check="tests"><span class="check-mark plus">✓</span> 4 tests passed</span></div>',
    );
    expect(ok).toContain('<div class="proposal pstatus-pending" data-proposal="a1b2c3d4e5f6">');
    // Between the summary and the files, above the Accept button.
    expect(ok.indexOf('proposal-summary md')).toBeLessThan(ok.indexOf('proposal-checks'));
    expect(ok.indexOf('proposal-checks')).toBeLessThan(ok.indexOf('data-action="acceptProposal"'));
  });

  it('marks a proposal whose checks failed', () => {
    const failed = renderProposal({ ...PROPOSAL, verification: VERIFICATION_FAILED }, 'k', { open: {} });
    expect(failed).toContain('<div class="proposal pstatus-pending checks-failed" data-proposal="a1b2c3d4e5f6">');
    expect(failed).toContain(
      '<div class="proposal-summary proposal-checks checks-failed" title="Checks failed: syntax ok · 1 of 4 tests failed"><span class="checks-label minus">Checks failed:</span> ',
    );
    expect(failed).toContain('<span class="check check-failed minus" data-check="tests"><span class="check-mark">⚠</span> 1 of 4 tests failed</span>');
    expect(failed).toContain('<span class="check check-ok" data-check="syntax"><span class="check-mark plus">✓</span> syntax ok</span>');
    expect(failed).not.toMatch(/\sstyle=|\son[a-z]+=/);
    const text = failed.replace(/<[^>]+>/g, '');
    expect(text).toContain('Checks failed: ✓ syntax ok · ⚠ 1 of 4 tests failed');
  });

  it('shows nothing about checks when the proposal carries none', () => {
    const plain = renderProposal(PROPOSAL, 'k', { open: {} });
    expect(plain).not.toContain('proposal-checks');
    expect(plain).not.toContain('checks-failed');
    expect(renderChecks({ verification: undefined })).toBe('');
    expect(renderChecks({ verification: { ok: true, summary: '' } })).toBe('');
  });

  it('escapes check summaries', () => {
    const html = renderChecks({ verification: { ok: false, summary: '<b>x</b>', checks: [{ name: 'li"nt', ok: false, summary: '<b>x</b>' }] } });
    expect(html).toContain('data-check="li&quot;nt"');
    expect(html).toContain('⚠</span> &lt;b&gt;x&lt;/b&gt;</span>');
    expect(html).not.toContain('<b>');
  });

  it('honours details the user toggled', () => {
    const tool = session.items.find((i) => i.kind === 'tool')!;
    expect(renderItem(tool, { open: {} })).not.toContain(' open>');
    expect(renderItem(tool, { open: { [tool.key]: true } })).toContain(' open>');
    const prop = session.items.find((i) => i.kind === 'proposal')!;
    expect(renderItem(prop, { open: { [`${prop.key}:f0`]: false } })).not.toContain('class="pfile" data-key="' + prop.key + ':f0" open');
  });

  it('renders diff lines with numbers and signs', () => {
    const table = renderDiffFile(parseUnifiedDiff('@@ -1,2 +1,2 @@\n-a<b\n+a>b\n c\n')[0]!);
    expect(table).toContain('<tr class="d-del"><td class="ln">1</td><td class="ln"></td><td class="sg">-</td><td class="dc">a&lt;b</td></tr>');
    expect(table).toContain('<tr class="d-add"><td class="ln"></td><td class="ln">1</td><td class="sg">+</td><td class="dc">a&gt;b</td></tr>');
  });
});

describe('chrome rendering', () => {
  it('lists sessions (busy marked) and models', () => {
    const s = reduce(state, { type: 'models', current: 'embedded/smollm2-135m', models: [{ id: 'embedded/smollm2-135m', name: 'SmolLM2', contextWindow: 8192 }, { id: 'ollama/qwen"x' }] });
    expect(renderSessionOptions(s)).toContain(`<option value="${SESSION}" selected>● add a docstring`.replace('add a docstring', '&lt;b&gt;hi&lt;/b&gt; &amp; bye'));
    const models = renderModelOptions(s);
    expect(models).toContain('<option value="embedded/smollm2-135m" title="SmolLM2 · 8192 ctx" selected>smollm2-135m</option>');
    expect(models).toContain('value="ollama/qwen&quot;x"');
    expect(renderModelOptions(initialState())).toContain('(no models)');
  });

  it('computes the footer from the active session usage', () => {
    expect(footerModel(state)).toMatchObject({ tokens: '812 in · 64 out · 14.2 tok/s', context: 'context 876 / 4.1k (21%)' });
  });
});

describe('page shell', () => {
  it('has a strict CSP with a nonce and no inline code', () => {
    const nonce = makeNonce(() => 0.5);
    expect(nonce).toMatch(/^[A-Za-z0-9]{32}$/);
    const html = chatHtml({ cspSource: 'https://x.vscode-cdn.net', nonce, scriptUri: 'https://x/webview.js', styleUri: 'https://x/chat.css' });
    const csp = contentSecurityPolicy('https://x.vscode-cdn.net', nonce);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src 'nonce-${nonce}'`);
    expect(csp).not.toContain('unsafe');
    expect(html).toContain(`<script nonce="${nonce}" src="https://x/webview.js"></script>`);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/);
    for (const id of ['messages', 'prompt', 'send', 'stop', 'session-select', 'model-select', 'usage-tokens', 'ctx-fill']) expect(html).toContain(`id="${id}"`);
  });
});

/**
 * The chat webview page in headless Chromium (playwright-core + Debian's chromium): the real bundle
 * and stylesheet, served with the same CSP as in VS Code, fed recorded skiff/update messages by
 * postMessage. Checks what renders, that clicks post the right messages back, that nothing violates
 * the CSP, and saves screenshots to test-output/.
 *
 * Chromium: $CHROMIUM_PATH or /usr/bin/chromium (`apt-get install chromium`). SKIFF_SKIP_BROWSER=1
 * skips explicitly.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatAction } from '../src/chatState';
import { chatHtml, makeNonce } from '../src/webview/html';
import { PROPOSAL, SESSION, TURN, VERIFICATION_FAILED, VERIFICATION_OK } from './fixtures/turn';

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'test-output');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** The chat actions (prompts, skiff/update notifications, turn ends…) recorded by protocol.test.ts from the real server. */
const RECORDED: ChatAction[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'recorded-actions.json'), 'utf8'));
const RECORDED_SESSION = (RECORDED.find((a) => a.type === 'update') as Extract<ChatAction, { type: 'update' }>).params.sessionId;

/** VS Code's Dark Modern colours, set on <html> the way VS Code does it (CSSOM, allowed by the CSP). */
const THEME: Record<string, string> = {
  '--vscode-font-family': '"Segoe WPC", "Segoe UI", "Ubuntu", "Liberation Sans", "DejaVu Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-foreground': '#cccccc',
  '--vscode-sideBar-background': '#181818',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-input-background': '#313131',
  '--vscode-input-foreground': '#cccccc',
  '--vscode-input-border': '#3c3c3c',
  '--vscode-input-placeholderForeground': '#989898',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-hoverBackground': '#026ec1',
  '--vscode-button-secondaryBackground': '#313131',
  '--vscode-button-secondaryForeground': '#cccccc',
  '--vscode-button-secondaryHoverBackground': '#3c3c3c',
  '--vscode-button-border': '#ffffff12',
  '--vscode-dropdown-background': '#313131',
  '--vscode-dropdown-border': '#3c3c3c',
  '--vscode-dropdown-foreground': '#cccccc',
  '--vscode-textCodeBlock-background': '#2b2b2b',
  '--vscode-editor-font-family': '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
  '--vscode-editor-font-size': '12px',
  '--vscode-diffEditor-insertedLineBackground': 'rgba(155, 185, 85, 0.2)',
  '--vscode-diffEditor-removedLineBackground': 'rgba(255, 0, 0, 0.2)',
  '--vscode-gitDecoration-addedResourceForeground': '#81b88b',
  '--vscode-gitDecoration-deletedResourceForeground': '#c74e39',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-widget-border': '#313131',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-badge-background': '#616161',
  '--vscode-badge-foreground': '#f8f8f8',
  '--vscode-textLink-foreground': '#4daafc',
  '--vscode-errorForeground': '#f85149',
  '--vscode-inputValidation-errorBackground': '#5a1d1d',
  '--vscode-inputValidation-errorBorder': '#be1100',
  '--vscode-editorWidget-background': '#202020',
  '--vscode-testing-iconPassed': '#73c991',
  '--vscode-editorLineNumber-foreground': '#6e7681',
  '--vscode-progressBar-background': '#0078d4',
  '--vscode-textBlockQuote-background': '#2b2b2b',
  '--vscode-textBlockQuote-border': '#616161b3',
  '--vscode-icon-foreground': '#cccccc',
  '--vscode-toolbar-hoverBackground': '#5a5d5e50',
  '--vscode-editorCursor-foreground': '#aeafad',
};

const skip = process.env.SKIFF_SKIP_BROWSER === '1';

describe.skipIf(skip)('chat webview in headless Chromium', () => {
  let server: http.Server;
  let origin: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];

  const post = (message: ChatAction | { type: 'focusInput'; text?: string }) =>
    page.evaluate((m) => window.postMessage(m, '*'), message as any);
  const posted = () => page.evaluate(() => (window as any).__posted as any[]);
  const settle = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH, or SKIFF_SKIP_BROWSER=1)`);
    }
    fs.mkdirSync(OUT, { recursive: true });
    const bundle = await esbuild.build({
      entryPoints: [path.join(ROOT, 'src/webview/main.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'chrome114',
      write: false,
    });
    const js = bundle.outputFiles[0]!.text;
    const css = fs.readFileSync(path.join(ROOT, 'media/chat.css'), 'utf8');
    const nonce = makeNonce();
    server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(chatHtml({ cspSource: origin, nonce, scriptUri: `${origin}/webview.js`, styleUri: `${origin}/chat.css` }));
      } else if (url === '/webview.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(js);
      } else if (url === '/chat.css') {
        res.writeHead(200, { 'content-type': 'text/css' });
        res.end(css);
      } else if (url === '/favicon.ico') {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 440, height: 1500 },
      deviceScaleFactor: 1,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    await page.addInitScript(() => {
      const w = window as any;
      w.__posted = [];
      w.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
      let saved: unknown;
      w.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => w.__posted.push(m),
        getState: () => saved,
        setState: (s: unknown) => (saved = s),
      });
    });
    await page.goto(`${origin}/index.html`);
    await page.evaluate((theme) => {
      for (const [k, v] of Object.entries(theme)) document.documentElement.style.setProperty(k, v);
    }, THEME);
    await page.waitForFunction(() => ((window as any).__posted as any[]).some((m) => m.type === 'ready'));
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('renders a session recorded from the real server', async () => {
    for (const action of RECORDED) await post(action);
    await post({
      type: 'models',
      current: 'test/scripted',
      models: [
        { id: 'test/scripted', name: 'Scripted test model', contextWindow: 8192 },
        { id: 'embedded/smollm2-135m', name: 'SmolLM2 135M Instruct Q4_1', contextWindow: 8192 },
      ],
    });
    await settle();
    expect(await page.locator('#session-select').inputValue()).toBe(RECORDED_SESSION);
    const bubbles = await page.locator('.item.user .bubble').allTextContents();
    expect(bubbles).toEqual(['add a docstring to mean()', 'guard against empty lists', 'write a long essay', 'are you still there?']);
    expect(await page.locator('.item.user .ctx').first().textContent()).toContain('stats.py:1-3');
    expect(await page.locator('.assistant strong').first().textContent()).toBe('docstring');
    expect(await page.locator('.proposal').count()).toBe(2);
    expect(await page.locator('.proposal .badge').allTextContents()).toEqual(['Undone', 'Rejected']);
    expect(await page.locator('.proposal table.diff tr.d-add').count()).toBe(2);
    expect(await page.locator('.item.notice').textContent()).toBe('Stopped.');
    expect(await page.locator('.assistant').last().textContent()).toBe('Still here.');
    expect(await page.locator('#stop').isVisible()).toBe(false);
    await page.setViewportSize({ width: 440, height: 1400 });
    await page.screenshot({ path: path.join(OUT, 'chat-webview-recorded.png'), fullPage: true });
    await page.setViewportSize({ width: 440, height: 1000 });
  });

  it('streams a turn with thoughts, tools, a diff and a stop button', async () => {
    await post({ type: 'context', label: 'stats.py:1-3' });
    await post({ type: 'prompt', sessionId: null, localId: 'local-2', text: 'Add a docstring to mean() and make it return a float.', context: 'stats.py:1-3' });
    for (const params of TURN) await post({ type: 'update', params });
    await settle();

    expect(await page.locator('#session-select').inputValue()).toBe(SESSION);
    expect(await page.locator('#session-select option').count()).toBe(3);
    expect(await page.locator('.item.thought summary').textContent()).toContain('Thought');
    expect(await page.locator('.item.tool').count()).toBe(2);
    expect(await page.locator('.item.tool .badge.status-completed').count()).toBe(2);
    expect(await page.locator('.item.mechanism .mech-name').textContent()).toBe('toolcall_recovery');
    expect(await page.locator('.proposal tr.d-add').count()).toBe(2);
    expect(await page.locator('.proposal tr.d-del').count()).toBe(1);
    expect(await page.locator('.proposal tr.d-add .dc').first().textContent()).toBe('    """Return the arithmetic mean of xs."""');
    expect(await page.locator('.assistant.streaming .code-block code.language-python').count()).toBe(1);
    expect(await page.locator('.assistant.streaming li').count()).toBe(2);
    // Busy: stop shown, send disabled; the footer shows the usage and the context fill.
    expect(await page.locator('#stop').isVisible()).toBe(true);
    expect(await page.locator('#send').isDisabled()).toBe(true);
    expect(await page.locator('#usage-tokens').textContent()).toBe('812 in · 64 out · 14.2 tok/s');
    expect(await page.locator('#usage-context').textContent()).toBe('context 876 / 4.1k (21%)');
    expect(await page.locator('#ctx-fill').evaluate((e) => (e as HTMLElement).style.width)).toBe('21%');
    expect(await page.locator('#context-label').textContent()).toBe('Context: stats.py:1-3');
    expect(await page.locator('#model-select').inputValue()).toBe('test/scripted');

    // Colours come from the theme: added lines are green-tinted, removed red-tinted.
    const bg = (sel: string) => page.locator(sel).first().evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(await bg('.proposal tr.d-add')).toBe('rgba(155, 185, 85, 0.2)');
    expect(await bg('.proposal tr.d-del')).toBe('rgba(255, 0, 0, 0.2)');

    await page.screenshot({ path: path.join(OUT, 'chat-webview.png'), fullPage: true });
  });

  it('posts cancel when stop is clicked, and proposal actions from its buttons', async () => {
    await page.click('#stop');
    await page.click(`.proposal[data-proposal="${PROPOSAL.id}"] [data-action="openProposal"]`);
    await page.click(`.proposal[data-proposal="${PROPOSAL.id}"] [data-action="acceptProposal"]`);
    const msgs = await posted();
    expect(msgs).toContainEqual({ type: 'cancel', sessionId: SESSION });
    expect(msgs).toContainEqual({ type: 'openProposal', id: PROPOSAL.id });
    expect(msgs).toContainEqual({ type: 'resolveProposal', id: PROPOSAL.id, accept: 'all' });
  });

  it('keeps an opened tool call open while the message keeps streaming', async () => {
    const tool = page.locator('.item.tool').first();
    await tool.locator('summary').click();
    expect(await tool.evaluate((e) => (e as HTMLDetailsElement).open)).toBe(true);
    await post({ type: 'update', params: { sessionId: SESSION, update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: ' More text.' } } } });
    await settle();
    expect(await page.locator('.item.tool').first().evaluate((e) => (e as HTMLDetailsElement).open)).toBe(true);
    expect(await page.locator('.item.tool').first().locator('pre').first().textContent()).toContain('"path": "stats.py"');
  });

  it('sends a prompt with Enter once the turn has ended, and shows proposal status changes', async () => {
    await post({ type: 'turnEnded', sessionId: SESSION, outcome: 'done', result: { sessionId: SESSION, stopReason: 'end_turn' } });
    await post({ type: 'proposalStatus', id: PROPOSAL.id, status: 'applied' });
    await settle();
    expect(await page.locator('#stop').isVisible()).toBe(false);
    expect(await page.locator(`.proposal[data-proposal="${PROPOSAL.id}"] .badge`).textContent()).toBe('Applied');
    expect(await page.locator(`.proposal[data-proposal="${PROPOSAL.id}"] [data-action="undoProposal"]`).count()).toBe(1);
    await page.fill('#prompt', 'thanks!');
    await page.press('#prompt', 'Enter');
    expect(await posted()).toContainEqual({ type: 'send', text: 'thanks!', sessionId: SESSION });
    expect(await page.locator('#prompt').inputValue()).toBe('');
    await page.click(`.proposal[data-proposal="${PROPOSAL.id}"] [data-action="undoProposal"]`);
    expect(await posted()).toContainEqual({ type: 'undoProposal', id: PROPOSAL.id });
  });

  it('switches sessions and models, and starts a new chat', async () => {
    const recordedSession = RECORDED_SESSION;
    await page.selectOption('#session-select', recordedSession);
    await page.selectOption('#model-select', 'embedded/smollm2-135m');
    await page.click('#new-chat');
    const msgs = await posted();
    expect(msgs).toContainEqual({ type: 'selectSession', sessionId: recordedSession });
    expect(msgs).toContainEqual({ type: 'setModel', model: 'embedded/smollm2-135m' });
    expect(msgs).toContainEqual({ type: 'newChat' });
    await post({ type: 'select', sessionId: null });
    await settle();
    expect(await page.locator('.empty-title').textContent()).toBe('Ask Skiff');
    await post({ type: 'select', sessionId: SESSION });
    await settle();
    expect(await page.locator('.item').count()).toBeGreaterThan(5);
  });

  it('does not turn model output into live HTML', async () => {
    await post({
      type: 'update',
      params: {
        sessionId: SESSION,
        update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: '\n\n<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>[x](javascript:window.__pwned=3)' } },
      },
    });
    await settle();
    expect(await page.locator('#messages img, #messages script').count()).toBe(0);
    expect(await page.locator('#messages a[href^="javascript"]').count()).toBe(0);
    expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  });

  it('shows the checks that travel with a proposal, failing ones marked', async () => {
    const failedId = 'c0ffee000001';
    const okId = 'c0ffee000002';
    await post({ type: 'update', params: { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: { ...PROPOSAL, id: failedId, verification: VERIFICATION_FAILED } } } });
    await post({ type: 'update', params: { sessionId: SESSION, update: { sessionUpdate: 'proposal', proposal: { ...PROPOSAL, id: okId, verification: VERIFICATION_OK } } } });
    await settle();
    const failed = page.locator(`.proposal[data-proposal="${failedId}"]`);
    expect(await failed.locator('.proposal-checks').textContent()).toBe('Checks failed: ✓ syntax ok · ⚠ 1 of 4 tests failed');
    expect(await failed.locator('.check-failed').textContent()).toBe('⚠ 1 of 4 tests failed');
    // Red like removed lines (the theme's deleted-resource colour), the passing mark green.
    expect(await failed.locator('.check-failed').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(199, 78, 57)');
    expect(await failed.locator('.check-ok .check-mark').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(129, 184, 139)');
    // The checks sit above the buttons the user decides with.
    const checksBox = await failed.locator('.proposal-checks').boundingBox();
    const acceptBox = await failed.locator('[data-action="acceptProposal"]').boundingBox();
    expect(checksBox!.y).toBeLessThan(acceptBox!.y);
    const ok = page.locator(`.proposal[data-proposal="${okId}"]`);
    expect(await ok.locator('.proposal-checks').textContent()).toBe('Checks: ✓ syntax ok · ✓ 4 tests passed');
    expect(await ok.locator('.check-failed').count()).toBe(0);
    // The proposal without checks shows none.
    expect(await page.locator(`.proposal[data-proposal="${PROPOSAL.id}"] .proposal-checks`).count()).toBe(0);
    await failed.screenshot({ path: path.join(OUT, 'chat-webview-checks-failed.png') });
    await ok.screenshot({ path: path.join(OUT, 'chat-webview-checks-ok.png') });
  });

  it('has no CSP violations or script errors', async () => {
    expect(await page.evaluate(() => (window as any).__csp)).toEqual([]);
    expect(pageErrors, pageErrors.join('\n')).toEqual([]);
  });
});

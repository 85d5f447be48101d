/**
 * The chat webview's script (bundled by esbuild into out/webview.js). It applies the same reducer as
 * the extension to the actions it receives, and renders the active session with keyed updates so
 * streaming does not rebuild the whole list.
 */
import { type ChatAction, type ChatState, activeSession, initialState, reduce } from '../chatState';
import type { FromWebview, ToWebview } from './messages';
import {
  type RenderOptions,
  footerModel,
  renderEmpty,
  renderItem,
  renderModelOptions,
  renderSessionOptions,
  streamingKey,
} from './render';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let state: ChatState = initialState();
const open: Record<string, boolean> = {};
let renderQueued = false;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const messages = $<HTMLElement>('messages');
const prompt = $<HTMLTextAreaElement>('prompt');
const sendBtn = $<HTMLButtonElement>('send');
const stopBtn = $<HTMLButtonElement>('stop');
const sessionSelect = $<HTMLSelectElement>('session-select');
const modelSelect = $<HTMLSelectElement>('model-select');
const contextChip = $<HTMLElement>('context-chip');
const contextLabel = $<HTMLElement>('context-label');
const usageTokens = $<HTMLElement>('usage-tokens');
const usageContext = $<HTMLElement>('usage-context');
const ctxMeter = $<HTMLElement>('ctx-meter');
const ctxFill = $<HTMLElement>('ctx-fill');

function post(message: FromWebview): void {
  vscode.postMessage(message);
}

const rendered = new Map<string, { el: Element; html: string }>();
let renderedSession: string | null | undefined;
let lastSessionOptions = '';
let lastModelOptions = '';

function nearBottom(): boolean {
  return messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
}

function render(): void {
  renderQueued = false;
  const session = activeSession(state);
  const stick = nearBottom();

  const sessionOptions = renderSessionOptions(state);
  if (sessionOptions !== lastSessionOptions) {
    sessionSelect.innerHTML = sessionOptions;
    lastSessionOptions = sessionOptions;
  }
  sessionSelect.value = state.activeId ?? '';
  const modelOptions = renderModelOptions(state);
  if (modelOptions !== lastModelOptions) {
    modelSelect.innerHTML = modelOptions;
    lastModelOptions = modelOptions;
  }
  if (state.currentModel) modelSelect.value = state.currentModel;

  if (renderedSession !== state.activeId) {
    messages.innerHTML = '';
    rendered.clear();
    renderedSession = state.activeId;
  }
  const items = session?.items ?? [];
  if (items.length === 0) {
    const html = renderEmpty(state);
    if (messages.dataset.empty !== html) {
      messages.innerHTML = html;
      messages.dataset.empty = html;
      rendered.clear();
    }
  } else {
    if (messages.dataset.empty) {
      messages.innerHTML = '';
      delete messages.dataset.empty;
    }
    const opts: RenderOptions = { open, streamingKey: streamingKey(session) };
    const seen = new Set<string>();
    let prev: Element | null = null;
    for (const item of items) {
      seen.add(item.key);
      const html = renderItem(item, opts);
      let entry = rendered.get(item.key);
      if (!entry || entry.html !== html) {
        const tpl = document.createElement('template');
        tpl.innerHTML = html;
        const el = tpl.content.firstElementChild ?? document.createElement('div');
        if (entry) entry.el.replaceWith(el);
        entry = { el, html };
        rendered.set(item.key, entry);
      }
      const expected: Element | null = prev ? prev.nextElementSibling : messages.firstElementChild;
      if (expected !== entry.el) messages.insertBefore(entry.el, expected);
      prev = entry.el;
    }
    for (const [key, entry] of rendered) {
      if (!seen.has(key)) {
        entry.el.remove();
        rendered.delete(key);
      }
    }
  }

  const busy = Boolean(session?.busy);
  stopBtn.classList.toggle('hidden', !busy);
  sendBtn.disabled = busy || state.server !== 'running';
  document.body.classList.toggle('busy', busy);

  contextChip.classList.toggle('hidden', !state.context);
  contextLabel.textContent = state.context ? `Context: ${state.context}` : '';

  const footer = footerModel(state);
  usageTokens.textContent = footer.tokens;
  usageContext.textContent = footer.context;
  ctxMeter.classList.toggle('hidden', footer.fill === null);
  if (footer.fill !== null) {
    ctxFill.style.width = `${Math.round(footer.fill * 100)}%`;
    ctxFill.classList.toggle('warn', footer.fill > 0.75);
    ctxFill.classList.toggle('full', footer.fill > 0.9);
  }
  if (stick) messages.scrollTop = messages.scrollHeight;
}

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(render);
}

function send(): void {
  const text = prompt.value;
  if (!text.trim() || sendBtn.disabled) return;
  post({ type: 'send', text, sessionId: state.activeId });
  prompt.value = '';
}

window.addEventListener('message', (event: MessageEvent) => {
  const data = event.data as ToWebview | undefined;
  if (!data || typeof data !== 'object' || typeof (data as { type?: unknown }).type !== 'string') return;
  if (data.type === 'focusInput') {
    if (data.text) prompt.value = data.text;
    prompt.focus();
    return;
  }
  state = reduce(state, data as ChatAction);
  scheduleRender();
});

prompt.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});

document.addEventListener('click', (e) => {
  const target = (e.target as Element | null)?.closest('[data-action]') as HTMLElement | null;
  if (!target) return;
  const action = target.dataset.action;
  const id = target.dataset.id ?? '';
  switch (action) {
    case 'send':
      send();
      break;
    case 'stop':
      post({ type: 'cancel', sessionId: state.activeId });
      break;
    case 'newChat':
      post({ type: 'newChat' });
      prompt.focus();
      break;
    case 'refreshSessions':
      post({ type: 'refreshSessions' });
      break;
    case 'clearContext':
      post({ type: 'clearContext' });
      break;
    case 'openProposal':
      post({ type: 'openProposal', id });
      break;
    case 'acceptProposal':
      post({ type: 'resolveProposal', id, accept: 'all' });
      break;
    case 'rejectProposal':
      post({ type: 'resolveProposal', id, accept: 'none' });
      break;
    case 'undoProposal':
      post({ type: 'undoProposal', id });
      break;
    case 'copyCode': {
      const code = target.closest('.code-block')?.querySelector('code')?.textContent ?? '';
      void navigator.clipboard?.writeText(code).then(
        () => {
          target.textContent = 'Copied';
          setTimeout(() => (target.textContent = 'Copy'), 1200);
        },
        () => undefined,
      );
      break;
    }
  }
});

// Remember details the user opened or closed, so re-rendering a streaming item keeps them.
document.addEventListener(
  'toggle',
  (e) => {
    const el = e.target as HTMLDetailsElement;
    const key = el?.dataset?.key;
    if (key) open[key] = el.open;
  },
  true,
);

sessionSelect.addEventListener('change', () => {
  const id = sessionSelect.value;
  post(id ? { type: 'selectSession', sessionId: id } : { type: 'newChat' });
});

modelSelect.addEventListener('change', () => {
  if (modelSelect.value) post({ type: 'setModel', model: modelSelect.value });
});

render();
post({ type: 'ready' });

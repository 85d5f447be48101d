/**
 * Markdown for model output in the chat webview, rendered by markdown-it (CommonMark: nested lists,
 * links with parentheses, backslash escapes, setext headings) with raw HTML off.
 *
 * Safety model: `html: false`, so the source is never interpreted as HTML (markdown-it escapes it). Link
 * targets must be http(s) or mailto; any other link renders as its label only. The rules below replace
 * markdown-it's output for code blocks (a copy button), table alignment (a class instead of `style`) and
 * task list items; the tags emitted are p, br, strong, em, s, code, pre, h1-h6, ul, ol, li, blockquote,
 * hr, table parts, a, div, span and button, with href/title/class/start/data-action attributes only.
 */
import MarkdownIt from 'markdown-it';

type Markdown = InstanceType<typeof MarkdownIt>;
type Token = ReturnType<Markdown['parse']>[number];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export function isSafeUrl(url: string): boolean {
  return /^(https?:\/\/|mailto:)[^\s<>"']+$/i.test(url);
}

function renderCode(code: string, lang: string): string {
  const cls = lang ? ` class="language-${escapeHtml(lang.replace(/[^\w+#.-]/g, ''))}"` : '';
  const label = lang ? `<span class="code-lang">${escapeHtml(lang)}</span>` : '';
  return (
    `<div class="code-block"><div class="code-head">${label}` +
    `<button class="code-copy" data-action="copyCode" title="Copy code">Copy</button></div>` +
    `<pre><code${cls}>${escapeHtml(code.replace(/\n$/, ''))}</code></pre></div>`
  );
}

/** Drops links whose target is not http(s)/mailto, keeping their label as text. */
function dropUnsafeLinks(children: Token[]): Token[] {
  const out: Token[] = [];
  let dropping = 0;
  for (const token of children) {
    if (token.type === 'link_open') {
      const href = String(token.attrGet('href') ?? '');
      if (dropping || !isSafeUrl(href)) {
        dropping++;
        continue;
      }
    } else if (token.type === 'link_close' && dropping) {
      dropping--;
      continue;
    }
    out.push(token);
  }
  return out;
}

const TASK_RE = /^\[( |x|X)\]\s+/;

function createMarkdown(): Markdown {
  const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
  // Every link is parsed (so an unsafe one can be shown as its label); dropUnsafeLinks removes the tags.
  md.validateLink = () => true;

  md.core.ruler.push('skiff_links_and_tasks', (state) => {
    const tokens = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.type !== 'inline' || !token.children) continue;
      token.children = dropUnsafeLinks(token.children);
      // A task item: list_item_open, paragraph_open, inline "[x] text".
      const first = token.children[0];
      if (i >= 2 && tokens[i - 2]!.type === 'list_item_open' && first?.type === 'text') {
        const task = TASK_RE.exec(first.content);
        if (task) {
          first.content = first.content.slice(task[0].length);
          const mark = new state.Token('skiff_task', '', 0);
          mark.meta = { done: task[1] !== ' ' };
          token.children.unshift(mark);
        }
      }
    }
  });

  const rules = md.renderer.rules;
  rules.fence = (tokens, idx) => {
    const token = tokens[idx]!;
    return renderCode(token.content, token.info.trim().split(/\s+/)[0] ?? '');
  };
  rules.code_block = (tokens, idx) => renderCode(tokens[idx]!.content, '');
  rules.skiff_task = (tokens, idx) => {
    const done = Boolean((tokens[idx]!.meta as { done?: boolean } | null)?.done);
    return `<span class="task ${done ? 'done' : 'open'}">${done ? '☑' : '☐'}</span> `;
  };
  rules.link_open = (tokens, idx) => {
    const token = tokens[idx]!;
    const href = escapeHtml(String(token.attrGet('href') ?? ''));
    return token.markup === 'linkify' ? `<a href="${href}">` : `<a href="${href}" title="${href}">`;
  };
  for (const cell of ['th_open', 'td_open'] as const) {
    rules[cell] = (tokens, idx) => {
      const align = /text-align:(left|right|center)/.exec(String(tokens[idx]!.attrGet('style') ?? ''))?.[1];
      return `<${cell.slice(0, 2)}${align ? ` class="align-${align}"` : ''}>`;
    };
  }
  return md;
}

const md = createMarkdown();

/** Renders inline Markdown (code spans, links, emphasis) to safe HTML. */
export function renderInline(src: string): string {
  return md.renderInline(src);
}

/** Renders block-level Markdown to safe HTML. An unclosed code fence (mid-stream) runs to the end. */
export function renderMarkdown(src: string): string {
  return md.render(src).trimEnd();
}

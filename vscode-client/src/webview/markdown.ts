/**
 * A small, safe Markdown renderer for model output.
 *
 * Safety model: the source is never interpreted as HTML. Every piece of text is HTML-escaped before
 * any tag is produced, and the only tags emitted are a fixed set (p, br, strong, em, del, code, pre,
 * h1-h6, ul, ol, li, blockquote, hr, table parts, a). Link targets must be http(s) or mailto; anything
 * else renders as plain text. No attributes other than href/title/class/data-* with escaped values.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

export function isSafeUrl(url: string): boolean {
  return /^(https?:\/\/|mailto:)[^\s<>"']+$/i.test(url);
}

const PH = '\u0000';

/** Renders inline Markdown (code spans, links, bold, italic, strikethrough) to safe HTML. */
export function renderInline(src: string): string {
  const codes: string[] = [];
  // 1. Pull out code spans so nothing inside them is formatted.
  let text = src.replace(/\u0000/g, '').replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_m, _ticks: string, body: string) => {
    const inner = body.length > 2 && body.startsWith(' ') && body.endsWith(' ') ? body.slice(1, -1) : body;
    codes.push(`<code>${escapeHtml(inner)}</code>`);
    return `${PH}${codes.length - 1}${PH}`;
  });
  // 2. Escape everything else.
  text = escapeHtml(text);
  const stash = (html: string) => {
    codes.push(html);
    return `${PH}${codes.length - 1}${PH}`;
  };
  // 3. Links [text](url "title"): the url is checked after unescaping, then re-escaped. Generated tags
  // are stashed so emphasis never reaches into attributes.
  text = text.replace(/\[([^\]\n]+)\]\(\s*([^\s()]+)(?:\s+&quot;[^\n]*?&quot;)?\s*\)/g, (_m, label: string, rawUrl: string) => {
    const url = unescapeHtml(rawUrl);
    if (!isSafeUrl(url)) return label;
    return `${stash(`<a href="${escapeHtml(url)}" title="${escapeHtml(url)}">`)}${label}${stash('</a>')}`;
  });
  // Bare URLs.
  text = text.replace(/(^|[\s(])(https?:\/\/[^\s<>"'()]+[^\s<>"'().,;:!?])/g, (_m, pre: string, rawUrl: string) => {
    const url = unescapeHtml(rawUrl);
    if (!isSafeUrl(url)) return pre + rawUrl;
    return pre + stash(`<a href="${escapeHtml(url)}">${rawUrl}</a>`);
  });
  // 4. Emphasis.
  text = text
    .replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1<strong>$2</strong>')
    .replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?![*\w])/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>')
    .replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>');
  // 5. Put the code spans back.
  return text.replace(new RegExp(`${PH}(\\d+)${PH}`, 'g'), (_m, n: string) => codes[Number(n)] ?? '');
}

const FENCE_RE = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING_RE = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const HR_RE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const LIST_RE = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE_RE = /^ {0,3}>\s?(.*)$/;
const TABLE_SEP_RE = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

function splitRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

function renderCode(code: string, lang: string): string {
  const cls = lang ? ` class="language-${escapeHtml(lang.replace(/[^\w+#.-]/g, ''))}"` : '';
  const label = lang ? `<span class="code-lang">${escapeHtml(lang)}</span>` : '';
  return (
    `<div class="code-block"><div class="code-head">${label}` +
    `<button class="code-copy" data-action="copyCode" title="Copy code">Copy</button></div>` +
    `<pre><code${cls}>${escapeHtml(code)}</code></pre></div>`
  );
}

/** Renders block-level Markdown to safe HTML. Unclosed code fences (streaming) run to the end. */
export function renderMarkdown(src: string, depth = 0): string {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) {
      out.push(`<p>${para.map((l) => renderInline(l.trim())).join('<br>')}</p>`);
      para = [];
    }
  };
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = FENCE_RE.exec(line);
    if (fence) {
      flush();
      const marker = fence[2]!;
      const lang = fence[3] ?? '';
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        const l = lines[i]!;
        if (l.trim().startsWith(marker[0]!.repeat(marker.length)) && l.trim().replace(new RegExp(`\\${marker[0]}`, 'g'), '') === '') {
          i++;
          break;
        }
        body.push(l);
        i++;
      }
      out.push(renderCode(body.join('\n'), lang));
      continue;
    }
    if (!line.trim()) {
      flush();
      i++;
      continue;
    }
    const heading = HEADING_RE.exec(line);
    if (heading) {
      flush();
      const level = heading[1]!.length;
      out.push(`<h${level}>${renderInline(heading[2] ?? '')}</h${level}>`);
      i++;
      continue;
    }
    if (HR_RE.test(line)) {
      flush();
      out.push('<hr>');
      i++;
      continue;
    }
    if (QUOTE_RE.test(line) && depth < 4) {
      flush();
      const body: string[] = [];
      while (i < lines.length && QUOTE_RE.test(lines[i]!)) {
        body.push(QUOTE_RE.exec(lines[i]!)![1] ?? '');
        i++;
      }
      out.push(`<blockquote>${renderMarkdown(body.join('\n'), depth + 1)}</blockquote>`);
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP_RE.test(lines[i + 1]!) && lines[i + 1]!.includes('-')) {
      flush();
      const head = splitRow(line);
      const aligns = splitRow(lines[i + 1]!).map((c) =>
        c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : '',
      );
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.includes('|') && lines[i]!.trim()) {
        rows.push(splitRow(lines[i]!));
        i++;
      }
      const cell = (tag: string, text: string, col: number) => {
        const align = aligns[col] ? ` class="align-${aligns[col]}"` : '';
        return `<${tag}${align}>${renderInline(text)}</${tag}>`;
      };
      out.push(
        `<table><thead><tr>${head.map((h, c) => cell('th', h, c)).join('')}</tr></thead><tbody>` +
          rows.map((r) => `<tr>${head.map((_h, c) => cell('td', r[c] ?? '', c)).join('')}</tr>`).join('') +
          '</tbody></table>',
      );
      continue;
    }
    const item = LIST_RE.exec(line);
    if (item && depth < 6) {
      flush();
      const ordered = /\d/.test(item[2]![0]!);
      const baseIndent = item[1]!.length;
      const start = ordered ? parseInt(item[2]!, 10) : 1;
      const entries: string[][] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        const m = LIST_RE.exec(l);
        if (m && m[1]!.length <= baseIndent + 1 && /\d/.test(m[2]![0]!) === ordered) {
          entries.push([m[3] ?? '']);
          i++;
          continue;
        }
        if (!l.trim()) {
          // A blank line ends the list unless the next line continues it (indented or another item).
          const next = lines[i + 1];
          if (next !== undefined && (/^\s{2,}\S/.test(next) || (LIST_RE.test(next) && LIST_RE.exec(next)![1]!.length <= baseIndent + 1))) {
            i++;
            continue;
          }
          break;
        }
        if (/^\s+\S/.test(l) && entries.length) {
          // Continuation or a nested list: dedent by the item's indent.
          entries[entries.length - 1]!.push(l.replace(new RegExp(`^\\s{0,${baseIndent + 4}}`), ''));
          i++;
          continue;
        }
        break;
      }
      const tag = ordered ? 'ol' : 'ul';
      const startAttr = ordered && start !== 1 ? ` start="${start}"` : '';
      const itemsHtml = entries.map((e) => {
        const [first, ...rest] = e;
        const nested = rest.length ? renderMarkdown(rest.join('\n'), depth + 1) : '';
        const task = /^\[( |x|X)\]\s+/.exec(first ?? '');
        const body = task
          ? `<span class="task ${task[1] === ' ' ? 'open' : 'done'}">${task[1] === ' ' ? '☐' : '☑'}</span> ${renderInline((first ?? '').slice(task[0].length))}`
          : renderInline(first ?? '');
        return `<li>${body}${nested}</li>`;
      });
      out.push(`<${tag}${startAttr}>${itemsHtml.join('')}</${tag}>`);
      continue;
    }
    para.push(line);
    i++;
  }
  flush();
  return out.join('\n');
}

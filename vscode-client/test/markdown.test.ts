import { describe, expect, it } from 'vitest';
import { escapeHtml, isSafeUrl, renderInline, renderMarkdown } from '../src/webview/markdown';

/** Tags the renderer may emit; anything else in the output is a sanitizer bug. */
const ALLOWED = new Set(['p', 'br', 'strong', 'em', 's', 'code', 'pre', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'a', 'div', 'span', 'button']);

/** markdown-it puts a newline between block tags; the tests compare the tags only. */
function compact(html: string): string {
  return html.replace(/\n+(?=<)/g, '').replace(/<br>\n/g, '<br>');
}

function tagsOf(html: string): string[] {
  return [...html.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase());
}

const ALLOWED_ATTRS = new Set(['href', 'title', 'class', 'data-action', 'start']);

/** Every `<` in the output must open an allowed tag whose attributes are allowed and quoted. */
function assertSafe(html: string): void {
  for (const tag of tagsOf(html)) expect(ALLOWED.has(tag), `unexpected tag <${tag}> in ${html}`).toBe(true);
  for (const m of html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>/g)) {
    const attrs = m[2]!;
    const names = [...attrs.matchAll(/([^\s=]+)="[^"]*"/g)].map((a) => a[1]!);
    expect(attrs.replace(/([^\s=]+)="[^"]*"/g, '').trim(), `unquoted attribute in ${m[0]}`).toBe('');
    for (const name of names) expect(ALLOWED_ATTRS.has(name), `attribute ${name} in ${m[0]}`).toBe(true);
    const href = /href="([^"]*)"/.exec(attrs)?.[1];
    if (href !== undefined) expect(href).toMatch(/^(https?:|mailto:)/i);
  }
}

describe('escapeHtml', () => {
  it('escapes the five HTML metacharacters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('renderMarkdown safety', () => {
  const attacks = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[click](javascript:alert(1))',
    '[click](JAVASCRIPT:alert(1))',
    '[x](data:text/html;base64,PHNjcmlwdD4=)',
    '[x](https://ok.example/"onmouseover="alert(1))',
    '**<b onclick=alert(1)>bold</b>**',
    '`<script>`',
    '```html\n<script>alert(1)</script>\n```',
    '<iframe src="https://evil.example"></iframe>',
    '> <svg onload=alert(1)>',
    '| a | b |\n|---|---|\n| <script> | [x](vbscript:y) |',
    '- <style>body{}</style>',
    '<a href="javascript:alert(1)">x</a>',
    'https://example.com/"><script>alert(1)</script>',
    '\u0000<script>',
  ];
  for (const attack of attacks) {
    it(`neutralizes ${JSON.stringify(attack).slice(0, 50)}`, () => {
      const html = renderMarkdown(attack);
      assertSafe(html);
      expect(html).not.toContain('<script');
      expect(html).not.toContain('<img');
      expect(html).not.toContain('<iframe');
      expect(html).not.toContain('<svg');
    });
  }

  it('only allows http(s) and mailto links', () => {
    expect(isSafeUrl('https://a.b/c?d=1')).toBe(true);
    expect(isSafeUrl('mailto:x@y.z')).toBe(true);
    expect(isSafeUrl('javascript:alert(1)')).toBe(false);
    expect(isSafeUrl('file:///etc/passwd')).toBe(false);
    expect(isSafeUrl('command:workbench.action.quit')).toBe(false);
    expect(renderInline('[q](command:workbench.action.quit)')).toBe('q');
  });
});

describe('renderMarkdown formatting', () => {
  it('renders inline formatting', () => {
    expect(renderInline('a **b** *c* _d_ ~~e~~ `f*g*`')).toBe('a <strong>b</strong> <em>c</em> <em>d</em> <s>e</s> <code>f*g*</code>');
    expect(renderInline('snake_case_name and 2 * 3 * 4')).toBe('snake_case_name and 2 * 3 * 4');
    expect(renderInline('[docs](https://example.com/a_b_c_)')).toBe(
      '<a href="https://example.com/a_b_c_" title="https://example.com/a_b_c_">docs</a>',
    );
    expect(renderInline('see https://example.com/x_y_z.')).toBe('see <a href="https://example.com/x_y_z">https://example.com/x_y_z</a>.');
  });

  it('renders code fences with a language and keeps their content verbatim', () => {
    const html = renderMarkdown('Here:\n\n```python\ndef f(x):\n    return x < 1 and **x**\n```\nafter');
    expect(html).toContain('<span class="code-lang">python</span>');
    expect(html).toContain('<code class="language-python">def f(x):\n    return x &lt; 1 and **x**</code>');
    expect(html).toContain('<p>after</p>');
  });

  it('renders an unclosed fence (mid-stream) as code', () => {
    const html = renderMarkdown('```js\nconst a = 1;');
    expect(html).toContain('<code class="language-js">const a = 1;</code>');
  });

  it('renders headings, lists, quotes, rules and tables', () => {
    const html = compact(renderMarkdown(
      '# Title\n\n1. one\n2. two\n   - nested\n\n- [x] done\n- [ ] todo\n\n> quoted **text**\n\n---\n\n| a | b |\n|:--|--:|\n| 1 | 2 |',
    ));
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<ol><li>one</li><li>two<ul><li>nested</li></ul></li></ol>');
    expect(html).toContain('<span class="task done">☑</span> done');
    expect(html).toContain('<blockquote><p>quoted <strong>text</strong></p></blockquote>');
    expect(html).toContain('<hr>');
    expect(html).toContain('<th class="align-left">a</th><th class="align-right">b</th>');
    expect(html).toContain('<td class="align-left">1</td>');
    assertSafe(html);
  });

  it('keeps line breaks inside paragraphs', () => {
    expect(compact(renderMarkdown('line one\nline two'))).toBe('<p>line one<br>line two</p>');
  });

  it('nests lists by indentation, several levels deep', () => {
    const html = compact(renderMarkdown('- a\n  - b\n    - c\n  - b2\n- d\n\n1. one\n   1. sub\n2. two'));
    expect(html).toBe(
      '<ul><li>a<ul><li>b<ul><li>c</li></ul></li><li>b2</li></ul></li><li>d</li></ul>' +
        '<ol><li>one<ol><li>sub</li></ol></li><li>two</li></ol>',
    );
  });

  it('keeps parentheses inside link targets', () => {
    expect(renderInline('[Foo](https://en.wikipedia.org/wiki/Foo_(bar)) and (see [x](https://a.example/p))')).toBe(
      '<a href="https://en.wikipedia.org/wiki/Foo_(bar)" title="https://en.wikipedia.org/wiki/Foo_(bar)">Foo</a> and ' +
        '(see <a href="https://a.example/p" title="https://a.example/p">x</a>)',
    );
  });

  it('honours backslash escapes', () => {
    expect(renderInline('2 \\* 3 \\* 4 is \\*not emphasis\\* and \\_nor this\\_')).toBe(
      '2 * 3 * 4 is *not emphasis* and _nor this_',
    );
    expect(compact(renderMarkdown('\\# not a heading'))).toBe('<p># not a heading</p>');
  });

  it('renders setext headings', () => {
    expect(compact(renderMarkdown('Title\n=====\n\nSection\n-------\n\ntext'))).toBe(
      '<h1>Title</h1><h2>Section</h2><p>text</p>',
    );
  });

  it('escapes raw HTML, inline and as a block', () => {
    const html = compact(renderMarkdown('a <b onclick="x()">bold</b> word\n\n<div>\n<script>alert(1)</script>\n</div>'));
    expect(html).toContain('a &lt;b onclick=&quot;x()&quot;&gt;bold&lt;/b&gt; word');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<b ');
    assertSafe(html);
  });
});

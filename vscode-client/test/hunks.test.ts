import { describe, expect, it } from 'vitest';
import { diffStats, parseUnifiedDiff } from '../src/diff';
import { diffFromHunks } from '../src/hunks';
import type { ProposalFile } from '../src/protocol';
import { renderProposal } from '../src/webview/render';
import { PROPOSAL } from './fixtures/turn';

const range = (start: number, end: number) => ({ start: { line: start, character: 0 }, end: { line: end, character: 0 } });

/** A SQL file: a removed `-- ` comment line followed by an added `++ ` line looks like a file header. */
const SQL: ProposalFile = {
  uri: 'file:///w/q.sql',
  path: 'q.sql',
  kind: 'modify',
  diff: '--- a/q.sql\n+++ b/q.sql\n@@ -1,3 +1,3 @@\n select 1;\n--- old comment\n+++ new counter\n select 2;\n',
  hunks: [{ id: 'h1', range: range(1, 2), oldText: '-- old comment\n', newText: '++ new counter\n' }],
};

describe('diffFromHunks', () => {
  it('renders a removed "-- " line and an added "++ " line as code, not as a file header', () => {
    const file = diffFromHunks(SQL);
    expect(file).toMatchObject({ oldPath: 'q.sql', newPath: 'q.sql' });
    expect(file.hunks).toHaveLength(1);
    expect(file.hunks[0]!.lines).toEqual([
      { kind: 'del', text: '-- old comment', oldLine: 2 },
      { kind: 'add', text: '++ new counter', newLine: 2 },
    ]);
    expect(file.hunks[0]!.header).toBe('@@ -2,1 +2,1 @@');
  });

  it('numbers lines across hunks in file order, shifted by the lines earlier hunks add', () => {
    const file = diffFromHunks({
      path: 'stats.py',
      kind: 'modify',
      hunks: [
        { id: 'h2', range: range(6, 7), oldText: '    return sum(xs)\n', newText: '    return float(sum(xs))\n' },
        { id: 'h1', range: range(1, 1), oldText: '', newText: '    """Return the mean."""\n    # and more\n' },
      ],
    });
    expect(file.hunks.map((h) => h.header)).toEqual(['@@ -2,0 +2,2 @@', '@@ -7,1 +9,1 @@']);
    expect(file.hunks[1]!.lines).toEqual([
      { kind: 'del', text: '    return sum(xs)', oldLine: 7 },
      { kind: 'add', text: '    return float(sum(xs))', newLine: 9 },
    ]);
    expect(diffStats([file])).toEqual({ added: 3, removed: 1 });
  });

  it('marks created and deleted files with /dev/null and keeps a last line without a newline', () => {
    const created = diffFromHunks({ path: 'util.py', kind: 'create', hunks: [{ id: 'h1', range: range(0, 0), oldText: '', newText: 'a\nb' }] });
    expect([created.oldPath, created.newPath]).toEqual(['/dev/null', 'util.py']);
    expect(created.hunks[0]!.lines.map((l) => l.text)).toEqual(['a', 'b']);
    const deleted = diffFromHunks({ path: 'old.py', kind: 'delete', hunks: [{ id: 'h1', range: range(0, 1), oldText: 'x\n', newText: '' }] });
    expect([deleted.oldPath, deleted.newPath]).toEqual(['old.py', '/dev/null']);
  });
});

describe('proposal cards', () => {
  it('render from the structured hunks', () => {
    const html = renderProposal({ ...PROPOSAL, files: [SQL] }, 'k', { open: {} });
    expect(html).toContain('<tr class="d-del"><td class="ln">2</td><td class="ln"></td><td class="sg">-</td><td class="dc">-- old comment</td></tr>');
    expect(html).toContain('<tr class="d-add"><td class="ln"></td><td class="ln">2</td><td class="sg">+</td><td class="dc">++ new counter</td></tr>');
    expect(html).toContain('<span class="plus">+1</span> <span class="minus">−1</span>');
  });

  it('fall back to the diff text when a server sends no hunks', () => {
    const html = renderProposal({ ...PROPOSAL, files: [{ ...SQL, hunks: [] }] }, 'k', { open: {} });
    expect(html).toContain('<td class="dc">-- old comment</td>');
  });
});

describe('parseUnifiedDiff inside a hunk', () => {
  it('reads "--- "/"+++ " lines as removed and added lines while the hunk header promises more', () => {
    const files = parseUnifiedDiff(SQL.diff);
    expect(files).toHaveLength(1);
    expect(files[0]!.hunks[0]!.lines.map((l) => [l.kind, l.text])).toEqual([
      ['context', 'select 1;'],
      ['del', '-- old comment'],
      ['add', '++ new counter'],
      ['context', 'select 2;'],
    ]);
  });
});

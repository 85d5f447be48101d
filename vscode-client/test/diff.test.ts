import { describe, expect, it } from 'vitest';
import { diffStats, parseUnifiedDiff } from '../src/diff';
import { DIFF } from './fixtures/turn';

describe('parseUnifiedDiff', () => {
  it('parses files, hunks and line numbers', () => {
    const files = parseUnifiedDiff(DIFF);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatchObject({ oldPath: 'stats.py', newPath: 'stats.py' });
    const lines = files[0]!.hunks[0]!.lines;
    expect(lines.map((l) => l.kind)).toEqual(['context', 'add', 'del', 'add', 'context', 'context', 'context']);
    expect(lines[0]).toMatchObject({ oldLine: 1, newLine: 1, text: 'def mean(xs):' });
    expect(lines[1]).toMatchObject({ kind: 'add', newLine: 2 });
    expect(lines[2]).toMatchObject({ kind: 'del', oldLine: 2 });
    expect(lines[4]).toMatchObject({ oldLine: 3, newLine: 4 });
    expect(diffStats(files)).toEqual({ added: 2, removed: 1 });
  });

  it('handles several files, /dev/null, no-newline markers and CRLF', () => {
    const text =
      '--- /dev/null\r\n+++ b/new.py\r\n@@ -0,0 +1,2 @@\r\n+a\r\n+b\r\n\\ No newline at end of file\r\n' +
      '--- a/old.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n';
    const files = parseUnifiedDiff(text);
    expect(files.map((f) => [f.oldPath, f.newPath])).toEqual([
      ['/dev/null', 'new.py'],
      ['old.py', '/dev/null'],
    ]);
    expect(files[0]!.hunks[0]!.lines.map((l) => l.kind)).toEqual(['add', 'add', 'meta']);
    expect(files[1]!.hunks[0]!.oldStart).toBe(1);
    expect(diffStats(files)).toEqual({ added: 2, removed: 1 });
  });

  it('accepts a bare hunk without file headers and ignores junk', () => {
    const files = parseUnifiedDiff('garbage\n@@ -3,2 +3,2 @@ def f\n-a\n+b\n c\n');
    expect(files[0]!.hunks[0]!.header).toBe('@@ -3,2 +3,2 @@ def f');
    expect(parseUnifiedDiff('')).toEqual([]);
  });
});

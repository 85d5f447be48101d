/**
 * Proposal diffs from the server's structured hunks (`files[].hunks`: range, oldText, newText), not from
 * the unified diff text, so no line of code can be mistaken for a diff header (pure; shared by the
 * webview and the tests).
 */
import type { DiffFile, DiffHunk, DiffLine } from './diff';
import type { Hunk, ProposalFile } from './protocol';

/** The lines of a text; a final newline ends the last line instead of starting an empty one. */
function linesOf(text: string): string[] {
  if (!text) return [];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function hunkOf(hunk: Hunk, shift: number): { hunk: DiffHunk; shift: number } {
  const removed = linesOf(hunk.oldText);
  const added = linesOf(hunk.newText);
  const oldStart = hunk.range.start.line + 1;
  const newStart = oldStart + shift;
  const lines: DiffLine[] = [
    ...removed.map((text, i): DiffLine => ({ kind: 'del', text, oldLine: oldStart + i })),
    ...added.map((text, i): DiffLine => ({ kind: 'add', text, newLine: newStart + i })),
  ];
  const header = `@@ -${oldStart},${removed.length} +${newStart},${added.length} @@`;
  return { hunk: { header, oldStart, newStart, lines }, shift: shift + added.length - removed.length };
}

/** One proposal file as a DiffFile, hunks in file order with old and new line numbers. */
export function diffFromHunks(file: Pick<ProposalFile, 'path' | 'kind' | 'hunks'>): DiffFile {
  const ordered = [...file.hunks].sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  const hunks: DiffHunk[] = [];
  let shift = 0;
  for (const h of ordered) {
    const out = hunkOf(h, shift);
    hunks.push(out.hunk);
    shift = out.shift;
  }
  return {
    oldPath: file.kind === 'create' ? '/dev/null' : file.path,
    newPath: file.kind === 'delete' ? '/dev/null' : file.path,
    hunks,
  };
}

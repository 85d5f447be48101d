/** A unified-diff parser for rendering proposals (pure; shared by the webview and the tests). */

export type DiffLineKind = 'context' | 'add' | 'del' | 'meta';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  oldLine?: number;
  newLine?: number;
}

export interface DiffHunk {
  header: string;
  oldStart: number;
  newStart: number;
  lines: DiffLine[];
}

export interface DiffFile {
  oldPath: string;
  newPath: string;
  hunks: DiffHunk[];
}

const HUNK_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/;

function stripPrefix(path: string): string {
  const p = path.replace(/\t.*$/, '');
  if (p === '/dev/null') return p;
  return p.replace(/^[ab]\//, '');
}

/** Parses a unified diff (one or several files). Lines before the first header are ignored. */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | null = null;
  let hunk: DiffHunk | null = null;
  let oldNo = 0;
  let newNo = 0;
  // Lines the current hunk's header still promises: until they are read, `--- `/`+++ ` lines are code
  // (a removed "-- x" line followed by an added "++ y" line), not the next file's header.
  let oldLeft = 0;
  let newLeft = 0;
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const inHunk = hunk !== null && (oldLeft > 0 || newLeft > 0);
    if (!inHunk && line.startsWith('--- ') && (lines[i + 1] ?? '').startsWith('+++ ')) {
      file = { oldPath: stripPrefix(line.slice(4)), newPath: stripPrefix(lines[i + 1]!.slice(4)), hunks: [] };
      files.push(file);
      hunk = null;
      i++;
      continue;
    }
    const m = inHunk ? null : HUNK_RE.exec(line);
    if (m) {
      if (!file) {
        file = { oldPath: '', newPath: '', hunks: [] };
        files.push(file);
      }
      oldNo = Number(m[1]);
      newNo = Number(m[3]);
      oldLeft = m[2] === undefined ? 1 : Number(m[2]);
      newLeft = m[4] === undefined ? 1 : Number(m[4]);
      hunk = { header: line, oldStart: oldNo, newStart: newNo, lines: [] };
      file.hunks.push(hunk);
      continue;
    }
    if (!hunk) continue;
    const sign = line[0];
    const body = line.slice(1);
    if (sign === '+') {
      hunk.lines.push({ kind: 'add', text: body, newLine: newNo++ });
      newLeft--;
    } else if (sign === '-') {
      hunk.lines.push({ kind: 'del', text: body, oldLine: oldNo++ });
      oldLeft--;
    } else if (sign === '\\') {
      hunk.lines.push({ kind: 'meta', text: line });
    } else {
      // ' ' or an empty line (some generators drop the space of blank context lines).
      hunk.lines.push({ kind: 'context', text: sign === ' ' ? body : line, oldLine: oldNo++, newLine: newNo++ });
      oldLeft--;
      newLeft--;
    }
  }
  return files;
}

/** Counts added and removed lines. */
export function diffStats(files: DiffFile[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const f of files) {
    for (const h of f.hunks) {
      for (const l of h.lines) {
        if (l.kind === 'add') added++;
        else if (l.kind === 'del') removed++;
      }
    }
  }
  return { added, removed };
}

import { describe, expect, it } from 'vitest';
import type { FullProposal, FullProposalFile, Hunk } from '../src/protocol';
import {
  ProposalReview,
  applyHunks,
  checksView,
  describeHunk,
  diffTitle,
  hunkAtLine,
  hunksConsistent,
  isUndoable,
  offsetAt,
  parseProposalQuery,
  placeHunks,
  proposalUri,
  resolution,
  statusLabel,
} from '../src/proposals';
import { VERIFICATION_FAILED, VERIFICATION_OK } from './fixtures/turn';

const base = 'def mean(xs):\n    total = sum(xs)\n    return total / len(xs)\n\n\ndef median(xs):\n    return sorted(xs)[len(xs) // 2]\n';
const hunks: Hunk[] = [
  { id: 'h1', range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, oldText: '', newText: '    """Mean."""\n' },
  { id: 'h2', range: { start: { line: 5, character: 0 }, end: { line: 7, character: 0 } }, oldText: 'def median(xs):\n    return sorted(xs)[len(xs) // 2]\n', newText: '' },
  { id: 'h3', range: { start: { line: 2, character: 11 }, end: { line: 2, character: 16 } }, oldText: 'total', newText: 'float(total)' },
];
const expected = 'def mean(xs):\n    """Mean."""\n    total = sum(xs)\n    return float(total) / len(xs)\n\n\n';
const file: FullProposalFile = { uri: 'file:///d/stats.py', path: 'src/stats.py', kind: 'modify', version: 1, diff: '', hunks, baseText: base, newText: expected };

describe('hunk geometry', () => {
  it('applies hunks given in base coordinates, in any order', () => {
    expect(applyHunks(base, hunks)).toBe(expected);
    expect(hunksConsistent(file)).toBe(true);
    expect(hunksConsistent({ ...file, newText: 'other' })).toBe(false);
  });

  it('computes offsets with clamping', () => {
    expect(offsetAt('ab\ncd', { line: 1, character: 1 })).toBe(4);
    expect(offsetAt('ab\ncd', { line: 0, character: 99 })).toBe(2);
    expect(offsetAt('ab\ncd', { line: 9, character: 0 })).toBe(5);
  });

  it('places each hunk in the new text', () => {
    const placed = placeHunks(file);
    expect(placed.map((p) => [p.hunk.id, p.newStartLine, p.newLineCount, p.added, p.removed])).toEqual([
      ['h1', 1, 1, 1, 0],
      ['h3', 3, 1, 1, 1],
      ['h2', 6, 0, 0, 2],
    ]);
    const lines = expected.split('\n');
    expect(lines[placed[0]!.newStartLine]).toBe('    """Mean."""');
    expect(lines[placed[1]!.newStartLine]).toContain('float(total)');
  });
});

describe('proposal URIs', () => {
  it('round-trips id, file index and side, keeping the path for language detection', () => {
    const uri = proposalUri({ id: 'a1b2', file: 2, side: 'new', path: 'src/my file.py' });
    expect(uri).toBe('skiff-proposal:/src/my%20file.py?id=a1b2&file=2&side=new');
    const query = uri.slice(uri.indexOf('?'));
    expect(parseProposalQuery(query, '/src/my file.py')).toEqual({ id: 'a1b2', file: 2, side: 'new', path: 'src/my file.py' });
    expect(parseProposalQuery('id=x&file=-1&side=new')).toBeNull();
    expect(parseProposalQuery('id=x&file=0&side=left')).toBeNull();
    expect(parseProposalQuery('file=0&side=new')).toBeNull();
  });
});

describe('per-hunk decisions', () => {
  it('resolves only when every hunk is decided', () => {
    expect(resolution(['a', 'b'], { a: 'accept' })).toBeNull();
    expect(resolution(['a', 'b'], { a: 'accept', b: 'accept' })).toBe('all');
    expect(resolution(['a', 'b'], { a: 'reject', b: 'reject' })).toBe('none');
    expect(resolution(['a', 'b', 'c'], { a: 'accept', b: 'reject', c: 'accept' })).toEqual(['a', 'c']);
  });

  it('tracks a review across files', () => {
    const proposal: FullProposal = {
      id: 'p',
      sessionId: 's',
      status: 'pending',
      files: [file, { ...file, path: 'b.py', hunks: [{ ...hunks[0]!, id: 'h9' }] }],
    };
    const review = new ProposalReview(proposal);
    expect(review.hunkIds).toEqual(['h1', 'h2', 'h3', 'h9']);
    review.decide('h1', 'accept');
    review.decide('h2', 'reject');
    expect(review.pending()).toEqual(['h3', 'h9']);
    expect(review.resolution()).toBeNull();
    review.decide('h3', 'accept');
    review.decide('h9', 'accept');
    expect(review.resolution()).toEqual(['h1', 'h3', 'h9']);
    review.decide('h2', undefined);
    expect(review.resolution()).toBeNull();
    review.decideAll('reject');
    expect(review.resolution()).toBe('none');
  });

  it('labels statuses', () => {
    expect(statusLabel('partially_applied')).toBe('Partially applied');
    expect(isUndoable('applied')).toBe(true);
    expect(isUndoable('rejected')).toBe(false);
  });
});

describe('hunk lookup', () => {
  const placed = placeHunks(file);
  it('finds the hunk covering a line on either side, else the next one, else the last', () => {
    expect(hunkAtLine(placed, 1, 'new')?.hunk.id).toBe('h1');
    expect(hunkAtLine(placed, 2, 'new')?.hunk.id).toBe('h3');
    expect(hunkAtLine(placed, 3, 'new')?.hunk.id).toBe('h3');
    expect(hunkAtLine(placed, 6, 'new')?.hunk.id).toBe('h2');
    expect(hunkAtLine(placed, 99, 'new')?.hunk.id).toBe('h2');
    expect(hunkAtLine(placed, 5, 'base')?.hunk.id).toBe('h2');
    expect(hunkAtLine(placed, 6, 'base')?.hunk.id).toBe('h2');
    expect(hunkAtLine([], 0, 'new')).toBeNull();
  });

  it('describes hunks in one line', () => {
    expect(placed.map(describeHunk)).toEqual(['"""Mean."""', 'float(total)', 'delete: def median(xs):']);
  });
});

describe('checks that travel with a proposal', () => {
  it('shows the summary of passing checks with a check mark', () => {
    const view = checksView(VERIFICATION_OK)!;
    expect(view.ok).toBe(true);
    expect(view.label).toBe('✓ syntax ok · 4 tests passed');
    expect(view.summary).toBe('syntax ok · 4 tests passed');
    expect(view.checks.map((c) => [c.name, c.ok])).toEqual([
      ['syntax', true],
      ['tests', true],
    ]);
  });

  it('marks failing checks and names only them in the label', () => {
    const view = checksView(VERIFICATION_FAILED)!;
    expect(view.ok).toBe(false);
    expect(view.label).toBe('⚠ 1 of 4 tests failed');
    expect(view.summary).toBe('syntax ok · 1 of 4 tests failed');
    expect(view.checks.filter((c) => !c.ok).map((c) => c.summary)).toEqual(['1 of 4 tests failed']);
    // Without a check list the whole summary is the label.
    expect(checksView({ ok: false, summary: 'syntax error' })!.label).toBe('⚠ syntax error');
    expect(checksView({ ok: false, summary: 'syntax error' })!.checks).toEqual([{ name: 'checks', ok: false, summary: 'syntax error' }]);
  });

  it('is absent when the proposal carries no checks (or nothing readable)', () => {
    expect(checksView(undefined)).toBeNull();
    expect(checksView(null)).toBeNull();
    expect(checksView({ ok: true, summary: '' })).toBeNull();
    expect(checksView('syntax ok' as never)).toBeNull();
    expect(checksView({ ok: true, summary: 'syntax ok', checks: [null, { name: 'x' }] as never })!.checks).toEqual([
      { name: 'checks', ok: true, summary: 'syntax ok' },
    ]);
  });

  it('adds the checks to the diff editor title', () => {
    expect(diffTitle({ path: 'stats.py', kind: 'modify' })).toBe('stats.py (Skiff: proposed)');
    expect(diffTitle({ path: 'new.py', kind: 'create' }, VERIFICATION_OK)).toBe('new.py (Skiff: new file · ✓ syntax ok · 4 tests passed)');
    expect(diffTitle({ path: 'stats.py', kind: 'modify' }, VERIFICATION_FAILED)).toBe('stats.py (Skiff: proposed · ⚠ 1 of 4 tests failed)');
  });
});

/** The active editor as chat context, and the context chip, against the recording `vscode` stub. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as vscode from 'vscode';
import { ContextChip, editorContextOf } from '../src/editorContext';
import { BASE, setEditor, stub } from './vscodeFixtures';

beforeEach(() => stub.reset());
afterEach(() => vi.useRealTimers());

describe('editorContextOf', () => {
  it('carries the selection and the diagnostics inside it, as LSP values', () => {
    const uri = setEditor([1, 0, 2, 0]);
    const coded = new vscode.Diagnostic(new vscode.Range(1, 0, 1, 3), 'unused', vscode.DiagnosticSeverity.Hint);
    coded.code = { value: 'F841', target: vscode.Uri.parse('https://example.com/F841') };
    stub.diagnostics.get(uri.toString()).push(coded);
    expect(editorContextOf(stub.activeTextEditor)).toEqual({
      uri: 'file:///work/demo/stats.py',
      label: 'stats.py:2',
      range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } },
      diagnostics: [
        { range: { start: { line: 1, character: 4 }, end: { line: 1, character: 9 } }, severity: 1, source: 'pyright', message: '"total" is not defined' },
        { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 3 } }, severity: 4, message: 'unused', code: 'F841' },
      ],
    });
  });

  it('sends the file alone for an empty selection, or the cursor line when asked', () => {
    setEditor([1, 2, 1, 2]);
    expect(editorContextOf(stub.activeTextEditor)).toEqual({ uri: 'file:///work/demo/stats.py', label: 'stats.py' });
    const line = editorContextOf(stub.activeTextEditor, true)!;
    expect(line.label).toBe('stats.py:2');
    expect(line.range).toEqual({ start: { line: 1, character: 0 }, end: { line: 1, character: BASE.split('\n')[1]!.length } });
    expect(line.diagnostics).toHaveLength(1);
  });

  it('gives no context without an editor or for a non-file document', () => {
    expect(editorContextOf(undefined)).toBeNull();
    const uri = vscode.Uri.parse('skiff-proposal:/stats.py?id=p&file=0&side=new');
    const editor = { document: (vscode as any).makeDocument(uri, BASE), selection: new vscode.Selection(new vscode.Position(0, 0), new vscode.Position(1, 0)) };
    expect(editorContextOf(editor as any, true)).toBeNull();
  });
});

describe('ContextChip', () => {
  it('shows the active editor, and after a clear gives prompts no context until it updates', () => {
    const shown: (string | null)[] = [];
    const chip = new ContextChip((label) => shown.push(label));
    setEditor([0, 0, 2, 0]);
    chip.update();
    expect(shown).toEqual(['stats.py:1-2']);
    expect(chip.forPrompt()?.label).toBe('stats.py:1-2');
    chip.clear();
    expect(chip.forPrompt()).toBeNull();
    chip.update();
    expect(chip.forPrompt()?.label).toBe('stats.py:1-2');
  });

  it('sends and shows nothing when skiff.sendEditorContext is off', () => {
    const shown: (string | null)[] = [];
    const chip = new ContextChip((label) => shown.push(label));
    setEditor([0, 0, 2, 0]);
    stub.config['skiff.sendEditorContext'] = false;
    chip.update();
    expect(shown).toEqual([null]);
    expect(chip.forPrompt()).toBeNull();
  });

  it('updates once after a burst of editor changes, and not after it is disposed', () => {
    vi.useFakeTimers();
    const shown: (string | null)[] = [];
    const chip = new ContextChip((label) => shown.push(label));
    setEditor([0, 0, 0, 5]);
    chip.schedule();
    setEditor([1, 0, 2, 0]);
    chip.schedule();
    expect(shown).toEqual([]);
    vi.runAllTimers();
    expect(shown).toEqual(['stats.py:2']);
    chip.schedule();
    chip.dispose();
    vi.runAllTimers();
    expect(shown).toEqual(['stats.py:2']);
  });
});

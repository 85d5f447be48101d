/**
 * The active editor as chat context: its file, selection and the diagnostics in it, and the chip in
 * the chat that shows (and can clear) what the next prompt will carry.
 */
import * as vscode from 'vscode';
import type { EditorContext } from './chatController';
import { contextLabel } from './commands';
import type { Diagnostic } from './protocol';
import { readSettings } from './settings';

function toLspDiagnostic(d: vscode.Diagnostic): Diagnostic {
  const out: Diagnostic = {
    range: {
      start: { line: d.range.start.line, character: d.range.start.character },
      end: { line: d.range.end.line, character: d.range.end.character },
    },
    severity: d.severity + 1,
    message: d.message,
  };
  if (d.source) out.source = d.source;
  const code = typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
  if (code !== undefined) out.code = code;
  return out;
}

function lspRange(r: vscode.Range) {
  return {
    start: { line: r.start.line, character: r.start.character },
    end: { line: r.end.line, character: r.end.character },
  };
}

/** The active editor's file and selection as chat context (null for non-file editors). */
export function editorContextOf(editor: vscode.TextEditor | undefined, wholeLineIfEmpty = false): EditorContext | null {
  if (!editor) return null;
  const doc = editor.document;
  if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled') return null;
  const rel = vscode.workspace.asRelativePath(doc.uri, false);
  let range: vscode.Range | null = editor.selection.isEmpty ? null : new vscode.Range(editor.selection.start, editor.selection.end);
  if (!range && wholeLineIfEmpty) range = doc.lineAt(editor.selection.active.line).range;
  const ctx: EditorContext = { uri: doc.uri.toString(), label: contextLabel(rel, range ? lspRange(range) : null) };
  if (range) {
    ctx.range = lspRange(range);
    const diagnostics = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.range.intersection(range!) !== undefined);
    if (diagnostics.length) ctx.diagnostics = diagnostics.map(toLspDiagnostic);
  }
  return ctx;
}

/**
 * The chat's context chip: follows the active editor and selection (150 ms after they settle), and
 * once the user clears it, chat prompts carry no context until the editor or selection changes.
 */
export class ContextChip implements vscode.Disposable {
  private enabled = true;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `show` puts the label (null: no context) on the chip. */
  constructor(private readonly show: (label: string | null) => void) {}

  /** The context a prompt from the chat view carries (null: none). */
  forPrompt(): EditorContext | null {
    return this.enabled && readSettings().sendEditorContext ? editorContextOf(vscode.window.activeTextEditor) : null;
  }

  /** The user cleared the chip. */
  clear(): void {
    this.enabled = false;
  }

  update(): void {
    this.enabled = true;
    const ctx = readSettings().sendEditorContext ? editorContextOf(vscode.window.activeTextEditor) : null;
    this.show(ctx?.label ?? null);
  }

  /** An editor or selection change: update once they settle. */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), 150);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

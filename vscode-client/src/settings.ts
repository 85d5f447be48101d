/** The `skiff.*` settings as VS Code's configuration holds them now (config.ts turns them into server options). */
import * as vscode from 'vscode';
import type { SkiffSettings } from './config';

export interface ExtensionSettings extends SkiffSettings {
  autoOpenProposals: boolean;
  sendEditorContext: boolean;
}

export function readSettings(): ExtensionSettings {
  const c = vscode.workspace.getConfiguration('skiff');
  return {
    serverCommand: c.get<string[] | string>('serverCommand'),
    pythonPath: c.get<string>('pythonPath'),
    model: c.get<string>('model'),
    modelsFile: c.get<string>('modelsFile'),
    proposalsMode: c.get<SkiffSettings['proposalsMode']>('proposals.mode'),
    bashMode: c.get<SkiffSettings['bashMode']>('bash.mode'),
    bashAllow: c.get<string[]>('bash.allow'),
    bashTimeout: c.get<number>('bash.timeout'),
    actions: c.get<SkiffSettings['actions']>('actions'),
    autoOpenProposals: c.get<boolean>('autoOpenProposals', true),
    sendEditorContext: c.get<boolean>('sendEditorContext', true),
  };
}

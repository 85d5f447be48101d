/**
 * The extension's entry point against the recording `vscode` stub (vitest alias) and the fake
 * language client: what activate registers, what package.json contributes, deactivate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import * as ext from '../src/extension';
import { CHAT_VIEW_ID } from '../src/commands';
import { activate, useExtensionHarness } from './extensionHarness';
import { stub } from './vscodeFixtures';

vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));

useExtensionHarness();

describe('activation', () => {
  it('registers every contributed command, and none of the server-side ones', async () => {
    await activate();
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    const contributed = pkg.contributes.commands.map((c: { command: string }) => c.command).sort();
    expect([...stub.commands.keys()].sort()).toEqual(contributed);
    for (const serverCommand of ['skiff.ask', 'skiff.resolveProposal', 'skiff.undoProposal', 'skiff.cancel']) {
      expect(stub.commands.has(serverCommand)).toBe(false);
    }
    expect(pkg.contributes.views.skiff[0].id).toBe(CHAT_VIEW_ID);
    expect(stub.webviewProviders.has(CHAT_VIEW_ID)).toBe(true);
    expect(stub.contentProviders.has('skiff-proposal')).toBe(true);
    expect(stub.codeLensProviders[0].selector).toEqual({ scheme: 'skiff-proposal' });
    for (const key of Object.keys(pkg.contributes.configuration.properties)) expect(key.startsWith('skiff.')).toBe(true);
  });


  it('activates on its commands and view only, and restricts what may run in untrusted workspaces', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    const commands = pkg.contributes.commands.map((c: { command: string }) => `onCommand:${c.command}`);
    expect(pkg.activationEvents.sort()).toEqual([...commands, 'onView:skiff.chat'].sort());
    const untrusted = pkg.capabilities.untrustedWorkspaces;
    expect(untrusted.supported).toBe('limited');
    expect(untrusted.restrictedConfigurations.sort()).toEqual(
      ['skiff.bash.allow', 'skiff.bash.mode', 'skiff.modelsFile', 'skiff.proposals.mode', 'skiff.pythonPath', 'skiff.serverCommand'].sort(),
    );
    for (const key of untrusted.restrictedConfigurations) expect(pkg.contributes.configuration.properties[key]).toBeDefined();
  });

});

describe('deactivation', () => {
  it('stops the language client', async () => {
    const client = await activate();
    await ext.deactivate();
    expect(client.stopped).toBe(true);
  });
});

/** The status bar item and the `skiff.busy` context key, through the activated extension. */
import { describe, expect, it, vi } from 'vitest';
import { Commands } from '../src/commands';
import { Methods } from '../src/protocol';
import { activate, stub, useExtensionHarness } from './extensionHarness';

vi.mock('vscode-languageclient/node', () => import('./fakeLanguageClient'));

useExtensionHarness();

describe('status bar', () => {
  it('shows model, busy state and tokens/s in the status bar', async () => {
    const client = await activate();
    const item = stub.statusItems[0];
    expect(item.visible).toBe(true);
    expect(item.text).toBe('$(hubot) scripted · 7.5 tok/s');
    expect(item.command).toBe(Commands.selectModel);
    client.notify(Methods.update, { sessionId: 'bg', update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text: 'x' } } });
    expect(item.text).toContain('$(loading~spin)');
    expect(stub.contexts.get('skiff.busy')).toBe(true);
    client.notify(Methods.update, { sessionId: 'bg', update: { sessionUpdate: 'usage', tokensPerSecond: 21.04, contextUsed: 100, contextLimit: 1000 } });
    expect(item.text).toContain('21.0 tok/s');
    expect(item.tooltip).toContain('Context: 100 / 1.0k tokens (10%)');
  });
});

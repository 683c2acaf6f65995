import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import type { Controllers } from '../../src/store/controllers/index.js';
import { createDashboardStore } from '../../src/store/store.js';
import { KeyQueue, commandHandlers, focusOf } from '../../src/ui/input.js';
import { BINDINGS, type KeyContext, NO_KEY, keyName } from '../../src/ui/keys.js';

const CONTEXTS: KeyContext[] = ['jobs', 'workers', 'dlq', 'detail', 'help', 'confirm', 'form', 'prompt'];

describe('key handling', () => {
  it('has a handler for every binding enabled in every context', () => {
    const store = createDashboardStore({ db: 'x' });
    const handlers = commandHandlers(store, {} as Controllers, () => ({ body: 20, width: 100 }));
    for (const ctx of CONTEXTS) {
      for (const b of BINDINGS.filter((x) => x.contexts.includes(ctx))) {
        expect(typeof handlers[ctx][b.id], `${b.id} in ${ctx}`).toBe('function');
      }
    }
  });

  it('gives the keyboard to a modal, else the prompt, else help, else the screen', () => {
    const store = createDashboardStore({ db: 'x' });
    const s = () => store.getState();
    expect(focusOf(s())).toBe('jobs');
    s().openDetail('a');
    expect(focusOf(s())).toBe('detail');
    s().setHelp(true);
    expect(focusOf(s())).toBe('help');
    s().setPrompt({ kind: 'command', text: '' });
    expect(focusOf(s())).toBe('prompt');
    s().setModal({ kind: 'confirm', message: '?', action: { kind: 'stop-all' } });
    expect(focusOf(s())).toBe('confirm');
  });

  it('handles keys one at a time: a key waits for the promise of the one before it', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const q = new KeyQueue((input, key) => {
      const name = keyName(input, key);
      seen.push(name);
      if (name === 'G') return new Promise<void>((r) => (release = r));
      return undefined;
    });
    q.push('jG', NO_KEY);
    q.push('k\r', NO_KEY);
    expect(seen).toEqual(['j', 'G']);
    release();
    await q.idle();
    expect(seen).toEqual(['j', 'G', 'k', 'enter']);
  });

  it('splits Esc and the key right after it, which arrive as one "meta" key', async () => {
    const seen: string[] = [];
    const q = new KeyQueue((input, key: Key) => void seen.push(keyName(input, key)));
    q.push('j', { ...NO_KEY, meta: true });
    q.push('', { ...NO_KEY, escape: true, meta: true });
    await q.idle();
    expect(seen).toEqual(['esc', 'j', 'esc']);
  });
});

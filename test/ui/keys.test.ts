import type { Key } from 'ink';
import { describe, expect, it } from 'vitest';
import { BINDINGS, GROUPS, type KeyContext, commandFor, footerHints, helpLines, keyName, splitKeys } from '../../src/ui/keys.js';

const NONE: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};
const CONTEXTS: KeyContext[] = ['jobs', 'workers', 'dlq', 'detail', 'help', 'confirm', 'form', 'prompt'];

describe('the bindings table', () => {
  it('has one binding per command, and no key means two things in one context', () => {
    expect(new Set(BINDINGS.map((b) => b.id)).size).toBe(BINDINGS.length);
    for (const ctx of CONTEXTS) {
      const seen = new Map<string, string>();
      for (const b of BINDINGS.filter((x) => x.contexts.includes(ctx))) {
        for (const k of b.keys) {
          expect(seen.get(k), `${k} in ${ctx}`).toBeUndefined();
          seen.set(k, b.id);
        }
      }
    }
  });

  it('drives the key handling: every key of every binding maps back to its command', () => {
    for (const b of BINDINGS) {
      for (const ctx of b.contexts) {
        for (const k of b.keys) {
          const [input, key] = keyOf(k);
          expect(commandFor(ctx, input, key), `${k} in ${ctx}`).toBe(b.id);
        }
      }
    }
  });

  it('drives the help screen (every binding of a view, grouped) and the footer (only hinted ones)', () => {
    for (const ctx of CONTEXTS) {
      const lines = helpLines(ctx);
      for (const b of BINDINGS.filter((x) => x.contexts.includes(ctx))) {
        const text = b.group ? GROUPS[b.group].description : b.description;
        // A `:` command without a key is on the `:` line.
        const on = b.keys.length === 0 ? (l: { description: string }) => l.description.includes(`:${b.command?.name}`) : (l: { description: string }) => l.description === text;
        expect(lines.some(on), `${b.id} in the help of ${ctx}`).toBe(true);
      }
      const hints = footerHints(ctx).map(([, h]) => h);
      expect([...hints].sort()).toEqual(BINDINGS.filter((b) => b.contexts.includes(ctx) && b.hint && (!b.hintIn || b.hintIn.includes(ctx))).map((b) => b.hint).sort());
    }
    expect(footerHints('jobs').map(([, h]) => h)).toContain('quit');
    expect(footerHints('jobs').map(([, h]) => h)).not.toContain('back');
    expect(footerHints('dlq').slice(0, 2).map(([, h]) => h)).toEqual(['retry', 'retry all']);
  });

  it('enables the issue’s keys where they belong', () => {
    expect(commandFor('jobs', '5', NONE)).toBe('tab-5');
    expect(commandFor('workers', '5', NONE)).toBeUndefined();
    expect(commandFor('dlq', 'R', { ...NONE, shift: true })).toBe('retry-all');
    expect(commandFor('jobs', 'R', { ...NONE, shift: true })).toBeUndefined();
    expect(commandFor('workers', 's', NONE)).toBe('stop-all');
    expect(commandFor('jobs', 'r', { ...NONE, ctrl: true })).toBe('refresh');
    expect(commandFor('detail', '', { ...NONE, escape: true })).toBe('back');
  });
});

describe('reading keys', () => {
  it('names keys canonically', () => {
    expect(keyName('', { ...NONE, pageDown: true })).toBe('pagedown');
    expect(keyName('', { ...NONE, tab: true, shift: true })).toBe('shift+tab');
    expect(keyName(' ', NONE)).toBe('space');
    expect(keyName('G', { ...NONE, shift: true })).toBe('G');
  });

  it('splits keys that arrive together into single presses', () => {
    expect(splitKeys('jobs\r', NONE).map(([i, k]) => keyName(i, k))).toEqual(['j', 'o', 'b', 's', 'enter']);
    expect(splitKeys('ab\x7f\x7fG\t', NONE).map(([i, k]) => keyName(i, k))).toEqual(['a', 'b', 'backspace', 'backspace', 'G', 'tab']);
    expect(splitKeys('\x12', NONE)).toEqual([['\x12', NONE]]);
    expect(splitKeys('x\x12', NONE).map(([i, k]) => keyName(i, k))).toEqual(['x', 'ctrl+r']);
  });
});

/** The input and key Ink reports for a canonical key name. */
function keyOf(name: string): [string, Key] {
  const special: Record<string, Partial<Key>> = {
    up: { upArrow: true }, down: { downArrow: true }, left: { leftArrow: true }, right: { rightArrow: true },
    pageup: { pageUp: true }, pagedown: { pageDown: true }, home: { home: true }, end: { end: true },
    enter: { return: true }, esc: { escape: true }, tab: { tab: true }, 'shift+tab': { tab: true, shift: true },
  };
  if (special[name]) return ['', { ...NONE, ...special[name] }];
  if (name.startsWith('ctrl+')) return [name.slice(5), { ...NONE, ctrl: true }];
  if (name === 'space') return [' ', NONE];
  return [name, { ...NONE, shift: name !== name.toLowerCase() }];
}

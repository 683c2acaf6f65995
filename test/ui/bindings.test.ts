import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Controllers } from '../../src/store/controllers/index.js';
import { createDashboardStore } from '../../src/store/store.js';
import { commandHandlers, runPromptCommand } from '../../src/ui/input.js';
import { BINDINGS, type KeyContext, NO_KEY, PROMPT_COMMANDS, commandFor, keyLabel, promptCommandList } from '../../src/ui/keys.js';

export const CONTEXTS: readonly KeyContext[] = ['jobs', 'workers', 'dlq', 'queues', 'detail', 'help', 'confirm', 'form', 'prompt'];

describe('the bindings table', () => {
  it('has a handler for every binding in every view it is enabled in', () => {
    const store = createDashboardStore({ db: 'test' });
    // Handlers only close over the actions; none runs here.
    const handlers = commandHandlers(store, {} as Controllers, () => ({ body: 20, width: 100 }));
    const missing: string[] = [];
    for (const b of BINDINGS) {
      for (const c of b.contexts) if (typeof handlers[c][b.id] !== 'function') missing.push(`${b.id} in ${c}`);
    }
    expect(missing).toEqual([]);
  });

  it('gives one key one meaning per view', () => {
    const clashes: string[] = [];
    for (const c of CONTEXTS) {
      const seen = new Map<string, string>();
      for (const b of BINDINGS.filter((x) => x.contexts.includes(c))) {
        for (const k of b.keys) {
          if (seen.has(k)) clashes.push(`${k} in ${c}: ${seen.get(k)} and ${b.id}`);
          seen.set(k, b.id);
        }
      }
    }
    expect(clashes).toEqual([]);
  });
});

describe('the bindings table as the only source', () => {
  it('holds the : commands: each word names one binding, and the help lists them from it', () => {
    const words = PROMPT_COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
    expect(new Set(words).size).toBe(words.length);
    expect(PROMPT_COMMANDS.map((c) => c.id)).toEqual(BINDINGS.filter((b) => b.command).map((b) => b.id));
    expect(promptCommandList()).toBe(':jobs :workers :dlq :queues :queue [NAME] :schedules :help :q');
    expect(BINDINGS.find((b) => b.id === 'command-mode')?.description).toBe(`command: ${promptCommandList()} (Tab completes)`);
    expect([keyLabel('back'), keyLabel('complete'), keyLabel('worker-up')]).toEqual(['Esc', 'Tab', '+']);
  });

  it('has one way out: q, Ctrl-C in every context (also typing in a prompt or a form, or asked to confirm) and :q run the same handler', async () => {
    const store = createDashboardStore({ db: 'test' });
    let quits = 0;
    const handlers = commandHandlers(store, { nav: { quit: () => void quits++ } } as unknown as Controllers, () => ({ body: 20, width: 100 }));
    const ctrlC = { ...NO_KEY, ctrl: true };
    const quit = handlers.jobs.quit;
    for (const c of CONTEXTS) {
      expect(commandFor(c, 'c', ctrlC), c).toBe('interrupt');
      expect(handlers[c].interrupt, c).toBe(quit);
    }
    for (const c of ['jobs', 'workers', 'dlq', 'queues', 'detail', 'help'] as const) {
      expect(commandFor(c, 'q', NO_KEY), c).toBe('quit');
      expect(handlers[c].quit, c).toBe(quit);
    }
    quit!();
    await runPromptCommand(store, handlers, 'q');
    await runPromptCommand(store, handlers, ':quit');
    expect(quits).toBe(3);
  });
});

describe('the layering of the dashboard', () => {
  const ROOT = resolve(import.meta.dirname, '../..');
  const files = (dir: string): string[] =>
    readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.tsx?$/.test(f))
      .map((f) => join(dir, f));

  it('keeps src/ui and src/store free of opening databases and running workers (src/commands/dashboard.ts composes them)', () => {
    const offending: string[] = [];
    for (const f of [...files('src/ui'), ...files('src/store')]) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)) {
        if (/\/worker\/|\/engine\/open(\.js)?$/.test(m[1])) offending.push(`${f}: ${m[1]}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

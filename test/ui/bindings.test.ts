import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DashboardActions } from '../../src/store/actions.js';
import { createDashboardStore } from '../../src/store/store.js';
import { commandHandlers } from '../../src/ui/input.js';
import { BINDINGS, type KeyContext } from '../../src/ui/keys.js';

export const CONTEXTS: readonly KeyContext[] = ['jobs', 'workers', 'dlq', 'queues', 'detail', 'help', 'confirm', 'form', 'prompt'];

describe('the bindings table', () => {
  it('has a handler for every binding in every view it is enabled in', () => {
    const store = createDashboardStore({ db: 'test' });
    // Handlers only close over the actions; none runs here.
    const handlers = commandHandlers(store, {} as DashboardActions, () => ({ body: 20, width: 100 }));
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

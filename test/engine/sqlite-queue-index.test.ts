import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { listPage } from '../../src/engine/backends/sqlite/list.js';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { Queue } from '../../src/engine/queue.js';

/**
 * Pages of one queue seek an index on the queue: the plan of every query a queue-filtered page
 * makes (first page, a page by cursor both ways, the probes) names a queue index and no scan.
 */
describe('SQLite: pages filtered by queue', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('seek jobs_queue_seq or jobs_queue_state_seq, with or without a state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-qidx-'));
    dirs.push(dir);
    const path = join(dir, 'q.db');
    const q = new Queue(SqliteBackend.open(path));
    await q.enqueue(Array.from({ length: 300 }, (_, i) => ({ command: `echo ${i}`, ...(i % 50 === 0 ? { queue: 'rare' } : {}) })));
    await q.close();

    const db = new Database(path);
    const plans: string[] = [];
    const prepare = db.prepare.bind(db);
    // Every statement listPage prepares is explained before it runs.
    (db as { prepare: typeof db.prepare }).prepare = ((sql: string) => {
      plans.push((prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ queue: 'rare', state: 'pending', es: 100, ef: 0 }) as Array<{ detail: string }>).map((r) => r.detail).join('; '));
      return prepare(sql);
    }) as typeof db.prepare;
    for (const state of [undefined, 'pending'] as const) {
      const first = listPage(db, { limit: 2, queue: 'rare', ...(state ? { state } : {}) });
      expect(first.rows.map((r) => r.queue)).toEqual(['rare', 'rare']);
      listPage(db, { limit: 2, queue: 'rare', ...(state ? { state } : {}), cursor: first.next as string });
      listPage(db, { limit: 2, queue: 'rare', ...(state ? { state } : {}), cursor: first.next as string, direction: 'before' });
      listPage(db, { limit: 2, queue: 'rare', ...(state ? { state } : {}), from: 'last' });
    }
    db.close();
    expect(plans.length).toBeGreaterThan(8);
    for (const p of plans) {
      expect(p).toMatch(/USING (COVERING )?INDEX jobs_queue_(state_)?seq/);
      expect(p).not.toMatch(/TEMP B-TREE|SCAN jobs(?! USING)/);
    }
  });
});

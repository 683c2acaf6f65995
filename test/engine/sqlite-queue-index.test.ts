import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { countMatches, listPage, registerSearchFunctions } from '../../src/engine/backends/sqlite/list.js';
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

  it('seek jobs_queue_state_seq, with or without a state (its runs per state merged), with or without a short term', async () => {
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
      plans.push((prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ queue: 'rare', state: 'pending', es: 100, ef: 0, folded: 'ec' }) as Array<{ detail: string }>).map((r) => r.detail).join('; '));
      return prepare(sql);
    }) as typeof db.prepare;
    registerSearchFunctions(db);
    // Without a state, with one, and filtered by a term too short for the search index (read
    // in order and tested one by one).
    for (const filter of [{}, { state: 'pending' }, { search: 'ec' }, { state: 'pending', search: 'ec' }] as const) {
      const first = listPage(db, { limit: 2, queue: 'rare', ...filter });
      expect(first.rows.map((r) => r.queue)).toEqual(['rare', 'rare']);
      expect(first.rows.map((r) => r.command)).toEqual(['echo 250', 'echo 200']);
      const second = listPage(db, { limit: 2, queue: 'rare', ...filter, cursor: first.next as string });
      expect(second.rows.map((r) => r.command)).toEqual(['echo 150', 'echo 100']);
      listPage(db, { limit: 2, queue: 'rare', ...filter, cursor: first.next as string, direction: 'before' });
      expect(listPage(db, { limit: 2, queue: 'rare', ...filter, from: 'last' }).rows.map((r) => r.command)).toEqual(['echo 50', 'echo 0']);
      expect(listPage(db, { limit: 2, queue: 'rare', ...filter, offset: 1 }).rows.map((r) => r.command)).toEqual(['echo 200', 'echo 150']);
    }
    // Counting a short term's matches in the queue reads its newest jobs the same way.
    expect(countMatches(db, { queue: 'rare', search: 'ec' }, 3)).toMatchObject({ exact: false, counts: { pending: 4 } });
    expect(countMatches(db, { queue: 'rare', search: 'ec' }, 100)).toMatchObject({ exact: true, counts: { pending: 6 } });
    db.close();
    expect(plans.length).toBeGreaterThan(16);
    for (const p of plans) {
      expect(p).toMatch(/USING (COVERING )?INDEX jobs_queue_(state_)?seq/);
      expect(p).not.toMatch(/TEMP B-TREE|SCAN jobs(?! USING)/);
    }
  });

  it('page finished jobs by time of finishing through jobs_state_finished, which holds finished jobs only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'queuectl-qidx-'));
    dirs.push(dir);
    const path = join(dir, 'q.db');
    const q = new Queue(SqliteBackend.open(path));
    await q.enqueue(Array.from({ length: 60 }, (_, i) => ({ command: `echo ${i}` })));
    await q.close();
    const db = new Database(path);
    db.exec("UPDATE jobs SET state = 'dead', finished_at = 1000 - seq WHERE seq % 3 = 0");
    // Unfinished jobs are not in it: a new job or a claim writes no page of it.
    const finishedInIndex = db.prepare('SELECT COUNT(*) FROM jobs INDEXED BY jobs_state_finished WHERE state IN (\'completed\', \'dead\', \'cancelled\')').pluck().get();
    expect(finishedInIndex).toBe(20);
    registerSearchFunctions(db);
    const plans: string[] = [];
    const prepare = db.prepare.bind(db);
    (db as { prepare: typeof db.prepare }).prepare = ((sql: string) => {
      if (!sql.includes('jobs_search')) {
        plans.push((prepare(`EXPLAIN QUERY PLAN ${sql}`).all({ state: 'dead', es: 100, ef: 0, folded: ' 1' }) as Array<{ detail: string }>).map((r) => r.detail).join('; '));
      }
      return prepare(sql);
    }) as typeof db.prepare;
    // Every dead job, and those whose command holds " 1" (a term too short for the search index:
    // read in order and tested one by one). Commands are "echo <seq - 1>".
    for (const [filter, want] of [
      [{}, [3, 6]],
      [{ search: ' 1' }, [12, 15]],
    ] as const) {
      const first = listPage(db, { limit: 2, state: 'dead', order: 'finished', ...filter });
      expect(first.rows.map((r) => r.seq)).toEqual(want);
      listPage(db, { limit: 2, state: 'dead', order: 'finished', ...filter, cursor: first.next as string });
      listPage(db, { limit: 2, state: 'dead', order: 'finished', ...filter, from: 'last' });
    }
    db.close();
    expect(plans.length).toBeGreaterThan(4);
    for (const p of plans) {
      expect(p).toMatch(/USING (COVERING )?INDEX jobs_state_finished/);
      expect(p).not.toMatch(/TEMP B-TREE|SCAN jobs(?! USING)/);
    }
  });
});

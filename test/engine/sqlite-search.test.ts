import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { Queue } from '../../src/engine/queue.js';
import { walkOlder } from './paging.js';
import type { ListQuery } from '../../src/engine/types.js';

/**
 * The SQLite adapter answers the latest-finished-first order in two ways (list.ts): a term with
 * few matches sorts them, a term with many walks the state's index. Both must page the same.
 */
describe('SQLite search, latest finished first, with many matches', () => {
  let dir: string;
  let backend: SqliteBackend;
  let q: Queue;
  const N = 6_500;
  // finished_at in another order than seq, with ties (broken by seq).
  const finished = (i: number) => 1_000_000 + ((i * 7919) % 2000) * 10;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'queuectl-search-'));
    const path = join(dir, 'q.db');
    SqliteBackend.open(path).close();
    const db = new Database(path);
    const insert = db.prepare(
      "INSERT INTO jobs (id, command, state, max_retries, run_at, queue, cwd, created_at, updated_at, finished_at) VALUES (?, ?, ?, 0, 0, 'default', '/', 0, 0, ?)",
    );
    db.transaction(() => {
      for (let i = 1; i <= N; i++) insert.run(`j${i}`, i % 1000 === 0 ? 'make Deploy --rare' : 'make deploy', i % 3 === 0 ? 'completed' : 'dead', finished(i));
    })();
    db.close();
    backend = SqliteBackend.open(path);
    q = new Queue(backend);
  });
  afterEach(async () => {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const expected = (pred: (i: number) => boolean) =>
    Array.from({ length: N }, (_, k) => k + 1)
      .filter((i) => i % 3 !== 0 && pred(i))
      .sort((a, b) => finished(b) - finished(a) || b - a)
      .map((i) => `j${i}`);

  const walk = (query: ListQuery) => walkOlder(q, query);

  it('pages a common term (walking the index) and a rare one (sorting the matches) alike', async () => {
    const dead = { state: 'dead', order: 'finished', limit: 700 } as const;
    expect(await walk({ ...dead, search: 'DEPLOY' })).toEqual(expected(() => true));
    expect(await walk({ ...dead, search: '--rare' })).toEqual(expected((i) => i % 1000 === 0));
    // Backwards from the oldest page.
    const last = await q.list({ ...dead, search: 'deploy', from: 'last' });
    expect(last.jobs.map((j) => j.id)).toEqual(expected(() => true).slice(-700));
    const before = await q.list({ ...dead, search: 'deploy', cursor: last.prev_cursor!, direction: 'before' });
    expect(before.jobs.map((j) => j.id)).toEqual(expected(() => true).slice(-1400, -700));
  });

  it('counts a common term up to the bound', async () => {
    expect(await q.countMatches({ search: 'deploy' }, 5_000)).toMatchObject({ exact: false });
    const all = await q.countMatches({ search: 'deploy' });
    expect(all).toMatchObject({ exact: true, counts: { dead: N - Math.floor(N / 3), completed: Math.floor(N / 3) } });
  });
});

import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { Queue } from '../../src/engine/queue.js';
import { type Sandbox, cli, requireBuild, sandbox } from './helpers.js';

/** Jobs settled by hand, as a worker would: `dead-*` dead, `done` completed, `waiting` pending. */
async function seed(db: string): Promise<void> {
  const q = new Queue(SqliteBackend.open(db));
  await q.enqueue(['dead-1', 'dead-2', 'dead-3'].map((id) => ({ id, command: `false # ${id}`, max_retries: 0, queue: id === 'dead-3' ? 'other' : 'default' })));
  await q.enqueue([{ id: 'done', command: 'echo once', priority: -1, queue: 'reports', max_retries: 2 }]);
  const fin = { exit_code: 1, signal: null, error: 'exit 1', output: '', output_bytes: 0, finished_at: Date.now() };
  for (let i = 0; i < 3; i++) await q.settle((await q.claim('w', null, 60_000))!, 'w', { ...fin, outcome: 'exit' }, DEFAULT_CONFIG);
  await q.settle((await q.claim('w', null, 60_000))!, 'w', { ...fin, outcome: 'succeeded', exit_code: 0, error: null }, DEFAULT_CONFIG);
  await q.enqueue([{ id: 'waiting', command: 'true', delay_ms: 3_600_000 }]);
  await q.close();
}

describe('queuectl dlq delete and rerun', () => {
  let sb: Sandbox;
  beforeAll(() => requireBuild());
  beforeEach(async () => {
    sb = sandbox();
    await seed(sb.db);
  });
  afterEach(() => sb.cleanup());

  it('deletes dead jobs by id, names the ones it did not delete, and exits 2 for them', () => {
    const r = cli(sb, ['dlq', 'delete', 'dead-1', 'waiting', 'ghost']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('deleted dead-1 with its history\n');
    expect(r.stderr).toContain('queuectl: cannot delete job "waiting": it is pending, not dead');
    expect(r.stderr).toContain('queuectl: cannot delete job "ghost": no such job');
    expect(cli(sb, ['show', 'dead-1']).code).toBe(2);
    expect(cli(sb, ['show', 'waiting']).code).toBe(0);
    const ok = cli(sb, ['dlq', 'delete', 'dead-2', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ deleted: ['dead-2'], not_deleted: [] });
  });

  it('deletes all (matching) dead jobs only with --yes, and says what is wrong in usage', () => {
    expect(cli(sb, ['dlq', 'delete'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^queuectl: missing job id/) });
    expect(cli(sb, ['dlq', 'delete', 'dead-1', '--all', '--yes'])).toMatchObject({ code: 2, stderr: expect.stringContaining('not both') });
    expect(cli(sb, ['dlq', 'delete', '--all'])).toMatchObject({ code: 2, stderr: expect.stringContaining('add --yes') });
    const some = cli(sb, ['dlq', 'delete', '--all', '--queue', 'other', '--yes', '--json']);
    expect(some.code).toBe(0);
    expect(JSON.parse(some.stdout)).toEqual({ deleted: 1 });
    expect(cli(sb, ['dlq', 'delete', '--all', '--yes']).stdout).toBe('deleted 2 dead jobs with their history\n');
    expect(cli(sb, ['dlq', 'delete', '--all', '--yes']).stdout).toBe('no dead jobs to delete\n');
    expect(JSON.parse(cli(sb, ['status', '--json']).stdout).counts).toMatchObject({ dead: 0, completed: 1, pending: 1 });
  });

  it('re-runs a completed job as a copy, and refuses other states', () => {
    const r = cli(sb, ['rerun', 'done']);
    expect(r).toMatchObject({ code: 0, stdout: expect.stringContaining('enqueued done.rerun-1, a copy of done') });
    const copy = JSON.parse(cli(sb, ['rerun', 'done', '--json']).stdout);
    expect(copy).toMatchObject({ id: 'done.rerun-2', command: 'echo once', queue: 'reports', priority: -1, max_retries: 2, state: 'pending', attempts: 0 });
    expect(cli(sb, ['rerun', 'dead-1'])).toMatchObject({ code: 2, stderr: 'queuectl: cannot re-run job "dead-1": it is dead (use "queuectl dlq retry")\n' });
    expect(cli(sb, ['rerun', 'ghost']).code).toBe(2);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, cli, cliJson, requireBuild, sandbox, waitFor } from './helpers.js';

/** `enqueue --after`, as a user meets it: real workers running a chain, and the refusals. */

let sb: Sandbox;
beforeAll(requireBuild);
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => {
  const r = cli(sb, ['worker', 'stop', '--force', '--timeout', '15s']);
  sb.cleanup();
  expect(r.code, r.stderr).toBe(0);
});

type JobJson = { id: string; state: string; last_error: string | null; after: string[]; dependencies?: Array<{ id: string; state: string | null }>; waiting_for?: string[] };

const state = (id: string) => cliJson<JobJson>(sb, ['show', id]).state;

describe('enqueue --after with real workers', () => {
  it('runs a chain in order on several workers, and cancels what hangs off a dead job', async () => {
    const order = join(sb.dir, 'order');
    // Each step takes a moment, so a worker that ran a step too early would show in the file.
    const step = (name: string) => `sleep 0.2; echo ${name} >> ${order}`;
    const lines = [
      { id: 'fetch', command: step('fetch') },
      { id: 'build', command: step('build'), after: ['fetch'] },
      { id: 'test', command: step('test'), after: ['build'], priority: 10 },
      { id: 'broken', command: 'exit 1', max_retries: 0 },
      { id: 'deploy', command: step('deploy'), after: ['test', 'broken'] },
      { id: 'notify', command: step('notify'), after: ['deploy'] },
    ];
    const input = lines.map((l) => JSON.stringify(l)).join('\n');
    expect(cli(sb, ['enqueue', '--file', '-'], { input })).toMatchObject({ code: 0, stdout: 'enqueued 6 jobs\n' });
    expect(cliJson<JobJson[]>(sb, ['list', '--state', 'waiting']).map((j) => j.id).sort()).toEqual(['build', 'deploy', 'notify', 'test']);
    expect(cli(sb, ['list', '--state', 'waiting']).stdout).toMatch(/deploy\s+waiting\s.*after 2 jobs/);
    const shown = cli(sb, ['show', 'test']).stdout;
    expect(shown).toMatch(/after\s+build \(waiting\)/);
    expect(shown).toMatch(/waiting for\s+build/);

    expect(cli(sb, ['worker', 'start', '--count', '3']).code).toBe(0);
    await waitFor('the chain to finish', () => (state('test') === 'completed' ? true : undefined), 30_000);
    expect(readFileSync(order, 'utf8')).toBe('fetch\nbuild\ntest\n');
    expect(cliJson<JobJson>(sb, ['show', 'deploy'])).toMatchObject({ state: 'cancelled', last_error: 'dependency broken ended dead' });
    expect(cliJson<JobJson>(sb, ['show', 'notify'])).toMatchObject({
      state: 'cancelled',
      last_error: 'dependency deploy ended cancelled',
      after: ['deploy'],
      dependencies: [{ id: 'deploy', state: 'cancelled' }],
      waiting_for: ['deploy'],
    });
    const events = cli(sb, ['events', '--job', 'test']).stdout;
    expect(events).toMatch(/released\s+.*every dependency completed/);
    expect(cli(sb, ['events', '--job', 'notify']).stdout).toMatch(/cancelled\s+.*dependency deploy ended cancelled/);
    expect(cliJson<{ counts: Record<string, number> }>(sb, ['status']).counts).toMatchObject({ waiting: 0, completed: 3, dead: 1, cancelled: 2 });
  });
});

describe('enqueue --after refusals', () => {
  it('refuses unknown ids, cycles and dead dependencies with one line and exit 2, inserting nothing', () => {
    expect(cli(sb, ['enqueue', '--id', 'a', '--', 'true']).code).toBe(0);
    const unknown = cli(sb, ['enqueue', '--after', 'a,nope', '--', 'true']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toBe('queuectl: invalid job: --after names no job with id "nope"\n');

    const cycle = ['{"id":"x","command":"true","after":["z"]}', '', '{"id":"y","command":"true","after":["x"]}', '{"id":"z","command":"true","after":["y","a"]}'].join('\n');
    const r = cli(sb, ['enqueue', '--file', '-'], { input: cycle });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^queuectl: invalid jobs: dependency cycle (x|y|z) -> (x|y|z) -> (x|y|z) -> (x|y|z)\n$/);
    const missing = cli(sb, ['enqueue', '--file', '-'], { input: '{"command":"true"}\n\n{"command":"true","after":["ghost"]}\n' });
    expect(missing).toMatchObject({ code: 2, stderr: 'queuectl: invalid job on line 3: --after names no job with id "ghost"\n' });
    expect(cli(sb, ['enqueue', '--after', 'a', '{"command":"true"}']).stderr).toBe('queuectl: --after cannot be used with a JSON job: put the field in the JSON\n');
    expect(cli(sb, ['enqueue', '{"command":"true","after":"a"}']).stderr).toBe('queuectl: invalid job: "after" must be an array of job ids\n');

    expect(cli(sb, ['cancel', 'a']).code).toBe(0);
    const dead = cli(sb, ['enqueue', '--after', 'a', '--', 'true']);
    expect(dead.code).toBe(2);
    expect(dead.stderr).toMatch(/^queuectl: invalid job: dependency a is cancelled and will never complete/);
    expect(cliJson<{ counts: Record<string, number> }>(sb, ['status']).counts).toMatchObject({ pending: 0, waiting: 0, cancelled: 1 });
  });

  it('starts a job pending when its dependencies have already completed, and --after repeats', async () => {
    expect(cli(sb, ['enqueue', '--id', 'a', '--', 'true']).code).toBe(0);
    expect(cli(sb, ['enqueue', '--id', 'b', '--', 'true']).code).toBe(0);
    expect(cli(sb, ['worker', 'start', '--count', '1']).code).toBe(0);
    await waitFor('a and b to complete', () => (state('a') === 'completed' && state('b') === 'completed' ? true : undefined));
    const made = cliJson<JobJson>(sb, ['enqueue', '--id', 'c', '--after', 'a', '--after', 'b', '--json', '--', 'true']);
    expect(made).toMatchObject({ state: 'pending', after: ['a', 'b'] });
    await waitFor('c to complete', () => (state('c') === 'completed' ? true : undefined));
  });
});

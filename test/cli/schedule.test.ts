import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { CLI, type Sandbox, cli, cliJson, requireBuild, sandbox, waitFor } from './helpers.js';
import { cliInProcess } from './in-process.js';

/** `queuectl schedule …` as a user runs it, and schedules fired by real worker processes. */

let sb: Sandbox;
beforeAll(() => {
  requireBuild();
  sb = sandbox();
});
afterAll(() => {
  cli(sb, ['worker', 'stop', '--force', '--timeout', '15s']);
  sb.cleanup();
});

type ScheduleJson = { name: string; paused: boolean; next_firings: string[]; last_run: { id: string; state: string } | null; catch_up: string; overlap: string };
type JobJson = { id: string; state: string; schedule: string | null };

describe('schedule: bad input is one line and exit 2, and adds nothing', () => {
  const rejected = async (args: string[], message: RegExp) => {
    const r = await cliInProcess(sb, ['schedule', ...args]);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^queuectl: [^\n]*\n$/);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  };
  afterAll(async () => {
    expect(cliJson<ScheduleJson[]>(sb, ['schedule', 'list'])).toEqual([]);
  });
  it('a cron expression croner refuses', () => rejected(['add', 'x', '--cron', '61 * * * *', '--', 'true'], /invalid cron expression "61 \* \* \* \*"/));
  it('a date instead of a cron expression', () => rejected(['add', 'x', '--cron', '2030-01-01T00:00:00', '--', 'true'], /expected five fields/));
  it('a cron expression that never fires', () => rejected(['add', 'x', '--cron', '0 0 30 2 *', '--', 'true'], /never fires/));
  it('an unknown time zone', () => rejected(['add', 'x', '--cron', '0 9 * * *', '--tz', 'Europe/Atlantis', '--', 'true'], /invalid time zone "Europe\/Atlantis"/));
  it('a bad duration', () => rejected(['add', 'x', '--every', 'often', '--', 'true'], /invalid --every "often"/));
  it('an interval below a second', () => rejected(['add', 'x', '--every', '500ms', '--', 'true'], /whole seconds/));
  it('both --cron and --every', () => rejected(['add', 'x', '--cron', '* * * * *', '--every', '1m', '--', 'true'], /one of them/));
  it('--tz with --every', () => rejected(['add', 'x', '--every', '1m', '--tz', 'UTC', '--', 'true'], /--tz applies to --cron only/));
  it('an unknown policy', () => rejected(['add', 'x', '--every', '1m', '--overlap', 'queue', '--', 'true'], /'queue' is invalid\. Allowed choices are skip, allow/));
  it('no command', () => rejected(['add', 'x', '--every', '1m'], /missing command after --/));
  it('a name that cannot be part of a job id', () => rejected(['add', 'a@b', '--every', '1m', '--', 'true'], /invalid schedule name "a@b"/));
  it('a working directory that does not exist', () => rejected(['add', 'x', '--every', '1m', '--cwd', '/no/such/dir', '--', 'true'], /invalid --cwd: directory \/no\/such\/dir does not exist/));
  it('an unknown schedule', () => rejected(['show', 'nope'], /no schedule named "nope"/));
  it('running an unknown schedule', () => rejected(['run', 'nope'], /no schedule named "nope"/));
});

describe('schedule: adding, steering and listing', () => {
  it('adds a cron schedule in a zone, lists its next three firings, runs it now, pauses, resumes and removes it', async () => {
    const added = cliJson<ScheduleJson>(sb, ['schedule', 'add', 'nightly', '--cron', '30 2 * * *', '--tz', 'Europe/Berlin', '--catch-up', 'none', '--', './backup.sh', '--full']);
    expect(added).toMatchObject({ name: 'nightly', catch_up: 'none', overlap: 'skip', paused: false, last_run: null });
    expect(added.next_firings).toHaveLength(3);
    for (const t of added.next_firings) expect(t).toMatch(/T0[01]:30:00\.000Z$/); // 02:30 in Berlin, CET or CEST

    const run = cliJson<JobJson>(sb, ['schedule', 'run', 'nightly']);
    expect(run).toMatchObject({ state: 'pending', schedule: 'nightly' });
    expect(run.id).toMatch(/^nightly@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const list = cli(sb, ['schedule', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+SPEC\s+NEXT FIRINGS \(UTC\)\s+LAST RUN\s+STATE\s+COMMAND\n/);
    expect(list.stdout).toMatch(/nightly\s+cron 30 2 \* \* \* Europe\/Berlin\s+\d\d-\d\d 0[01]:30Z, \d\d-\d\d 0[01]:30Z, \d\d-\d\d 0[01]:30Z\s+pending \(enqueued (now|\d+s ago)\)\s+active\s+\.\/backup\.sh --full/);

    expect(cli(sb, ['schedule', 'pause', 'nightly']).stdout).toMatch(/^paused schedule nightly/);
    expect(cliJson<ScheduleJson>(sb, ['schedule', 'show', 'nightly'])).toMatchObject({ paused: true, next_firings: [] });
    expect(cli(sb, ['schedule', 'list']).stdout).toMatch(/nightly .* paused /);
    expect(cliJson<ScheduleJson>(sb, ['schedule', 'resume', 'nightly'])).toMatchObject({ paused: false });
    expect(cli(sb, ['schedule', 'show', 'nightly']).stdout).toMatch(/^name\s+nightly\n/);
    expect(cli(sb, ['schedule', 'rm', 'nightly']).stdout).toBe('removed schedule nightly (the jobs it enqueued are kept)\n');
    expect(cliJson<JobJson>(sb, ['show', run.id])).toMatchObject({ schedule: 'nightly' });
    expect(cliJson<ScheduleJson[]>(sb, ['schedule', 'list'])).toEqual([]);
  });
});

describe('schedule: shell completion', () => {
  const complete = (words: string[]) =>
    spawnSync(process.execPath, [CLI, 'complete', '--', ...words], { env: { ...sb.env, QUEUECTL_DB: sb.db }, cwd: sb.dir, encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .slice(0, -1)
      .map((l) => l.split('\t')[0])
      .sort();

  it('knows the command, its subcommands, its policies and the schedules in the database', () => {
    expect(cli(sb, ['schedule', 'add', 'comp-a', '--every', '1h', '--', 'true']).code).toBe(0);
    expect(cli(sb, ['schedule', 'add', 'comp-b', '--every', '1h', '--', 'true']).code).toBe(0);
    expect(complete(['sched'])).toEqual(['schedule']);
    expect(complete(['schedule', ''])).toEqual(['add', 'help', 'list', 'pause', 'resume', 'rm', 'run', 'show']);
    expect(complete(['schedule', 'pause', 'comp'])).toEqual(['comp-a', 'comp-b']);
    expect(complete(['schedule', 'add', 'x', '--overlap', ''])).toEqual(['allow', 'skip']);
    expect(complete(['schedule', 'add', 'x', '--catch-up', ''])).toEqual(['all', 'last', 'none']);
    for (const n of ['comp-a', 'comp-b']) expect(cli(sb, ['schedule', 'rm', n]).code).toBe(0);
  });
});

describe('schedule: fired by real workers', () => {
  it('--every 1s with four workers running enqueues one job per firing, and the jobs complete', async () => {
    const started = cli(sb, ['worker', 'start', '--count', '4']);
    expect(started.code, started.stderr).toBe(0);
    expect(cli(sb, ['schedule', 'add', 'tick', '--every', '1s', '--overlap', 'allow', '--', 'echo tick']).code).toBe(0);

    const done = await waitFor(
      'four completed jobs of the schedule',
      () => {
        const jobs = cliJson<JobJson[]>(sb, ['list', '--search', 'tick@', '--limit', '1000']);
        return jobs.filter((j) => j.state === 'completed').length >= 4 ? jobs : undefined;
      },
      30_000,
    );
    expect(cli(sb, ['schedule', 'pause', 'tick']).code).toBe(0);
    for (const j of done) {
      expect(j.schedule).toBe('tick');
      expect(j.id).toMatch(/^tick@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect(cli(sb, ['logs', done.find((j) => j.state === 'completed')!.id]).stdout).toBe('tick\n');

    // Four workers checked every firing; each was enqueued once: one job, one `scheduled` event per firing.
    const events = cli(sb, ['events', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; job_id: string | null });
    const firings = events.filter((e) => e.type === 'scheduled' && e.job_id?.startsWith('tick@')).map((e) => e.job_id);
    expect(new Set(firings).size).toBe(firings.length);
    const all = cliJson<JobJson[]>(sb, ['list', '--search', 'tick@', '--limit', '1000']).map((j) => j.id);
    expect([...firings].sort()).toEqual([...all].sort());

    const shown = cliJson<ScheduleJson>(sb, ['schedule', 'show', 'tick']);
    expect(shown.last_run?.id).toBe(all.sort().at(-1));
  }, 60_000);

  it('a worker busy with a long job still fires on time', async () => {
    cli(sb, ['worker', 'stop', '--force', '--timeout', '15s']);
    expect(cli(sb, ['worker', 'start', '--count', '1']).code).toBe(0);
    expect(cli(sb, ['schedule', 'add', 'slow', '--every', '1s', '--overlap', 'allow', '--', 'sleep 30']).code).toBe(0);
    // The one worker is inside its first `sleep 30`, and firings keep arriving behind it.
    await waitFor(
      'three firings while the first job runs',
      () => {
        const jobs = cliJson<JobJson[]>(sb, ['list', '--search', 'slow@', '--limit', '100']);
        const running = jobs.filter((j) => j.state === 'processing');
        return running.length === 1 && jobs.filter((j) => j.state === 'pending').length >= 3 ? true : undefined;
      },
      20_000,
    );
    expect(cli(sb, ['schedule', 'rm', 'slow']).code).toBe(0);
  }, 60_000);
});

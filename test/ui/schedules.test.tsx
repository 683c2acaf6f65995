import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY, type Mounted, mountDashboard } from './harness.js';
import { openTestQueue, tempDb } from './seed.js';

/** The schedules screen: reached by S or :schedules, with pause/resume and run-now keys. */

let db: ReturnType<typeof tempDb>;
let m: Mounted;

beforeEach(async () => {
  db = tempDb('queuectl-ui-schedules-');
  const q = openTestQueue(db.path);
  await q.schedules.add({ name: 'nightly', cron: '30 2 * * *', tz: 'Europe/Berlin', job: { command: './backup.sh' } });
  await q.schedules.add({ name: 'sync', every_ms: 300_000, job: { command: 'rsync -a src/ dst/' } });
  await q.close();
  m = await mountDashboard(db.path, { columns: 140, rows: 24 });
  await m.waitForFrame((f) => f.includes(' 1 all '), 'the dashboard');
});

afterEach(async () => {
  await m.unmount();
  db.cleanup();
});

const row = (f: string, name: string) => f.split('\n').find((l) => l.includes(` ${name} `) || l.trimStart().startsWith(`${name} `));

describe('the schedules screen', () => {
  it('opens with S, lists spec, next firings, last run and state; p pauses and resumes, r runs now, each with its command', async () => {
    await m.press('S');
    let f = await m.waitForFrame((x) => x.includes('SCHEDULES') && x.includes('sync'), 'the schedules screen');
    expect(row(f, 'nightly')).toMatch(/nightly +cron 30 2 \* \* \* Europe\/Berlin +in \S+ · \d\d-\d\d 0[01]:30Z, .* +- +active +\.\/backup\.sh/);
    expect(row(f, 'sync')).toMatch(/sync +every 5m +in \dm\S* · \d\d-\d\d \d\d:\d\d(:\d\d)?Z, .* +- +active/);
    expect(f).toMatch(/p pause\/resume/);

    await m.press('p'); // the first row: nightly
    f = await m.waitForFrame((x) => /nightly .* paused /.test(x), 'nightly paused');
    expect(f).toContain('paused schedule nightly');
    expect(f).toContain(`queuectl schedule pause nightly --db ${db.path}`);
    expect((await m.queue.schedules.get('nightly')).paused).toBe(true);

    await m.press('p');
    f = await m.waitForFrame((x) => /nightly .* active /.test(x) && x.includes('resumed schedule nightly'), 'nightly resumed');
    expect(f).toContain(`queuectl schedule resume nightly --db ${db.path}`);

    await m.press(KEY.down, 'r');
    f = await m.waitForFrame((x) => /enqueued sync@/.test(x), 'sync run now');
    expect(f).toContain(`queuectl schedule run sync --db ${db.path}`);
    await m.waitForFrame((x) => /sync +every 5m .* pending /.test(x), 'the last run shown');
    expect((await m.queue.schedules.recentJobs('sync', 10)).length).toBe(1);

    await m.press(KEY.esc);
    await m.waitForFrame((x) => x.includes(' 1 all ') && !x.includes('SCHEDULES') && /sync@/.test(x), 'back to the jobs view, with the new job');
  });

  it('opens with :schedules too, and says so when there are none', async () => {
    await m.press(':', ...'schedules', KEY.enter);
    await m.waitForFrame((x) => x.includes('SCHEDULES') && x.includes('nightly'), 'the schedules screen');
    await m.queue.schedules.remove('nightly');
    await m.queue.schedules.remove('sync');
    await m.press(KEY.ctrlR);
    await m.waitForFrame((x) => x.includes('no schedules (add one: queuectl schedule add'), 'the empty screen');
  });
});

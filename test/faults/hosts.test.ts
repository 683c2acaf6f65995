/**
 * Workers that share a database but not a view of each other's processes: another hostname
 * (`unshare --uts`), and the same hostname in another PID namespace (containers with host
 * networking). None may take another's live job or remove its record; every one stays visible
 * and can be stopped.
 */
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { stopWorkers } from '../../src/worker/supervisor.js';
import { Sandbox, requireBuild } from '../worker/harness.js';
import { waitFor } from '../worker/helpers.js';
import { guardedCommand, overlaps, runCounts } from './lib.js';

function canUnshare(args: string[]): boolean {
  try {
    execFileSync('unshare', [...args, 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const PID_NS = ['unshare', '--pid', '--fork', '--mount-proc'];
const supported = canUnshare(['--pid', '--fork', '--mount-proc']) && canUnshare(['--uts']);

describe.skipIf(!supported)('workers on other hosts and in other PID namespaces', () => {
  let sb: Sandbox;
  afterEach(async () => sb?.cleanup());

  it('never take each other\'s live jobs, stay visible, and all stop on request', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    await sb.queue.setConfig('lease_seconds', '2');
    const ids = Array.from({ length: 6 }, (_, i) => `j${i}`);
    await sb.queue.enqueue(ids.map((id) => ({ id, command: guardedCommand(sb.dir, 2.5) })));
    const workers = [
      sb.startWorker('w-here'),
      // The same hostname, another PID namespace: its pids mean nothing here.
      sb.startWorker('w-pidns', [], { wrap: PID_NS }),
      // Another hostname, the same kernel and PID namespace.
      sb.startWorker('w-uts', [], { wrap: ['unshare', '--uts', 'sh', '-c', 'hostname other-host && exec "$0" "$@"'] }),
    ];
    await waitFor(async () => (await sb.queue.workers()).length === 3, 'three registered workers', 20_000);
    const ws = await sb.queue.workers();
    expect(new Set(ws.map((w) => w.host_id)).size).toBe(2);
    expect(ws.find((w) => w.id === 'w-pidns')!.host).toBe(hostname());
    expect(ws.find((w) => w.id === 'w-uts')!.host).toBe('other-host');
    await waitFor(async () => (await sb.queue.counts()).completed === ids.length, 'every job completed', 60_000, 100);
    expect(overlaps(sb.dir)).toEqual([]);
    expect(runCounts(sb.dir)).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(workers.flatMap((w) => w.lines).filter((l) => l.event === 'job_recovered')).toEqual([]);
    expect((await sb.queue.workers()).map((w) => w.id).sort()).toEqual(['w-here', 'w-pidns', 'w-uts']);
    const report = await stopWorkers(sb.queue, { timeoutMs: 20_000, force: false });
    expect(report.stillRunning).toEqual([]);
    for (const w of workers) expect((await w.exited).code).toBe(0);
    expect(await sb.queue.workers()).toEqual([]);
  });
});

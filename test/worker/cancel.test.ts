/** Cancelling a running job: its worker stops the command's whole process group within a second or two. */
import { afterEach, describe, expect, it } from 'vitest';
import { Sandbox, requireBuild } from './harness.js';
import { isAlive, waitFor } from './helpers.js';

describe('cancel of a running job', () => {
  let sb: Sandbox;
  afterEach(async () => sb?.cleanup());

  it('stops the command and its children, records the attempt as cancelled, and the worker goes on', async () => {
    requireBuild();
    sb = await new Sandbox().open();
    await sb.queue.enqueue([{ id: 'long', command: 'sleep 60 & echo $!; wait' }, { id: 'next', command: 'true' }]);
    const w = sb.startWorker('w1');
    await w.waitLog((l) => l.event === 'job_started' && l.job === 'long', 'the long job starting');
    const child = Number(await waitFor(async () => /^\d+$/m.exec((await sb.queue.get('long')).output)?.[0], 'the child pid in the output'));
    expect(isAlive(child)).toBe(true);
    const marked = await sb.queue.cancel('long');
    expect(marked).toMatchObject({ state: 'processing', cancel_requested: true });
    await waitFor(async () => (await sb.queue.get('long')).state === 'cancelled', 'the job ending cancelled', 15_000);
    await waitFor(() => !isAlive(child), 'the child ended');
    const shown = await sb.queue.show('long');
    expect(shown.attempts.map((a) => a.outcome)).toEqual(['cancelled']);
    expect(w.lines.some((l) => l.event === 'job_cancelling')).toBe(true);
    // The worker takes the next job as usual.
    await waitFor(async () => (await sb.queue.get('next')).state === 'completed', 'the next job completing');
  });
});

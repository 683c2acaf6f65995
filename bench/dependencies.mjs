// Dependencies on SQLite: the claim + complete cycle with 1,000 blocked (waiting) jobs present,
// next to the plain figure, and the cycle when every completion releases a dependent.
// Waiting jobs are in no claim index, so the first two should match.
import { join } from 'node:path';
import { claimCompleteInProcess, drainInProcess } from './engine.mjs';
import { fmt, openSqliteQueue, report, tempDir } from './lib.mjs';

const N = 20_000;
const BLOCKED = 1_000;

/** Best of three runs, each on a fresh database prepared by `prepare`. */
async function best(dir, name, prepare, cycle = (q) => claimCompleteInProcess(q, N)) {
  let top = 0;
  for (let i = 0; i < 3; i++) {
    const q = await openSqliteQueue(join(dir, `${name}-${i}.db`));
    await prepare(q);
    top = Math.max(top, await cycle(q));
    await q.close();
  }
  return top;
}

/** 1,000 jobs waiting for a gate job that is not due within the run (so they stay waiting). */
async function blockedBehindGate(q) {
  await q.enqueue([{ id: 'gate', command: 'true', delay_ms: 3_600_000 }]);
  await q.enqueueBulk(Array.from({ length: BLOCKED }, (_, i) => ({ id: `blocked-${i}`, command: 'true', after: ['gate'] })));
}

/** N/2 pairs: completing the first of each releases the second, which is then claimed too. */
async function releasingCycle(q) {
  const cfg = await q.config();
  const pairs = [];
  for (let i = 0; i < N / 2; i++) pairs.push({ id: `a${i}`, command: 'true' }, { id: `b${i}`, command: 'true', after: [`a${i}`] });
  await q.enqueueBulk(pairs, cfg);
  const { done, rate } = await drainInProcess(q, cfg);
  if (done !== N) throw new Error(`released cycle ran ${done} of ${N} jobs`);
  return rate;
}

export async function run() {
  console.log('\n== dependencies (SQLite) ==');
  const t = tempDir();
  try {
    const plain = await best(t.dir, 'plain', async () => {});
    const blocked = await best(t.dir, 'blocked', blockedBehindGate);
    const releasing = await best(t.dir, 'releasing', async () => {}, releasingCycle);
    report('deps', `claim + complete, no-op, 1 process, ${fmt(N)} jobs`, `${fmt(plain)}/s`, { anchor: 'plain: no waiting jobs' });
    report('deps', `the same with ${fmt(BLOCKED)} waiting jobs present`, `${fmt(blocked)}/s`, {
      anchor: `plain ${fmt(plain)}/s, ratio ${fmt(blocked / plain, 2)}`,
      target: '≈ plain (waiting jobs are outside the claim index)',
      ok: blocked >= plain * 0.85,
    });
    report('deps', `claim + complete, each completion releasing a dependent (${fmt(N / 2)} pairs)`, `${fmt(releasing)}/s`, {
      anchor: `plain ${fmt(plain)}/s, ratio ${fmt(releasing / plain, 2)}`,
    });
  } finally {
    t.cleanup();
  }
}

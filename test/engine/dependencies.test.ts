import { describe, expect, it } from 'vitest';
import { dependencyVerdict, planDependencies } from '../../src/engine/dependencies.js';
import { ValidationError } from '../../src/engine/errors.js';
import type { JobState } from '../../src/engine/types.js';

const where = (i: number) => ` (job ${i + 1})`;
const states = (o: Record<string, JobState>) => new Map(Object.entries(o));

describe('dependency verdicts', () => {
  it('releases when all completed, cancels on the first that ended badly or is gone, else waits', () => {
    expect(dependencyVerdict(['a', 'b'], states({ a: 'completed', b: 'completed' }))).toEqual({ kind: 'release' });
    expect(dependencyVerdict(['a', 'b'], states({ a: 'processing', b: 'completed' }))).toEqual({ kind: 'wait', open: ['a'] });
    expect(dependencyVerdict(['a', 'b'], states({ a: 'pending', b: 'dead' }))).toEqual({ kind: 'cancel', dependency: 'b', state: 'dead' });
    expect(dependencyVerdict(['a'], states({}))).toEqual({ kind: 'cancel', dependency: 'a', state: null });
    expect(dependencyVerdict(['a'], states({ a: 'failed' }))).toEqual({ kind: 'wait', open: ['a'] });
  });
});

describe('planning a batch', () => {
  it('says which jobs start waiting', () => {
    const jobs = [
      { id: 'a', after: [] },
      { id: 'b', after: ['a'] },
      { id: 'c', after: ['done'] },
      { id: 'd', after: ['done', 'running'] },
    ];
    expect(planDependencies(jobs, states({ done: 'completed', running: 'processing' }), where)).toEqual([false, true, false, true]);
  });

  it('finds a cycle anywhere in a long batch without recursion', () => {
    const n = 50_000;
    const chain = Array.from({ length: n }, (_, i) => ({ id: `j${i}`, after: i === 0 ? [] : [`j${i - 1}`] }));
    expect(planDependencies(chain, new Map(), where).filter(Boolean)).toHaveLength(n - 1);
    chain[0] = { id: 'j0', after: [`j${n - 1}`] };
    expect(() => planDependencies(chain, new Map(), where)).toThrow(/dependency cycle j0 -> j49999 -> j49998 .* -> j0$/);
  });

  it('names the job of each refusal', () => {
    const refuse = (jobs: Array<{ id: string; after: string[] }>, s: Record<string, JobState>) => {
      try {
        planDependencies(jobs, states(s), where);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as Error).message;
      }
      throw new Error('not refused');
    };
    expect(refuse([{ id: 'x', after: [] }, { id: 'y', after: ['nope'] }], {})).toBe('invalid job (job 2): --after names no job with id "nope"');
    expect(refuse([{ id: 'x', after: ['x'] }], {})).toBe('invalid job (job 1): it cannot wait for itself');
    expect(refuse([{ id: 'x', after: ['gone'] }], { gone: 'cancelled' })).toMatch(/^invalid job \(job 1\): dependency gone is cancelled and will never complete/);
  });
});

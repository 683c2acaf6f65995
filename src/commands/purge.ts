import { parseDuration } from '../engine/duration.js';
import { ValidationError } from '../engine/errors.js';
import type { JobState } from '../engine/types.js';
import { plural } from './format.js';
import { type GlobalOptions, out, parseState, printJson, withQueue } from './shared.js';

export interface PurgeOptions extends GlobalOptions {
  state?: string[];
  olderThan?: string;
  json?: boolean;
}

const PURGEABLE: readonly JobState[] = ['completed', 'dead', 'cancelled'];

/** `--state completed,cancelled` and repeated `--state` both work. */
function parseStates(values: string[] | undefined): JobState[] {
  const words = (values ?? []).flatMap((v) => v.split(',')).map((w) => w.trim()).filter((w) => w !== '');
  if (words.length === 0) throw new ValidationError(`missing --state: which finished jobs to delete (${PURGEABLE.join(', ')})`);
  const states = [...new Set(words.map((w) => parseState(w)))];
  for (const s of states) {
    if (!PURGEABLE.includes(s)) {
      throw new ValidationError(`cannot purge ${s} jobs: only ${PURGEABLE.join(', ')} jobs can be purged (cancel a job first)`);
    }
  }
  return states;
}

/** Deletes finished jobs and their attempt history. `dlq purge` is this with the state `dead`. */
export async function runPurge(o: PurgeOptions, forced?: JobState): Promise<number> {
  const states = forced ? [forced] : parseStates(o.state);
  const olderThanMs = o.olderThan === undefined ? 0 : parseDuration(o.olderThan, '--older-than');
  const n = await withQueue(o.db, (queue) => queue.purge(states, olderThanMs));
  if (o.json) printJson({ purged: n, states });
  else {
    const age = o.olderThan === undefined ? '' : ` finished more than ${o.olderThan} ago`;
    out(`purged ${plural(n, `${states.join('/')} job`)}${age}`);
  }
  return 0;
}

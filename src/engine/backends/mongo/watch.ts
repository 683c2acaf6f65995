import type { Model } from 'mongoose';
import { changeStreamsUnsupported } from './docs.js';
import type { JobDoc } from './models.js';

/** Whether the server offers change streams: unknown until a stream reports a change or fails. */
export interface ChangeStreamSupport {
  known?: boolean;
}

/**
 * A change stream on the jobs collection, where the server offers them (replica sets). Where it
 * refuses them the stream closes at once and callers go on polling. When the server goes away the
 * stream is reopened once it is back, with one call to `onChange` for what was missed meanwhile.
 */
export function watchJobs(Job: Model<JobDoc>, support: ChangeStreamSupport, onChange: () => void): () => void {
  let closed = false;
  let stream: ReturnType<Model<JobDoc>['watch']> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const open = (reopened: boolean) => {
    if (closed || support.known === false) return;
    try {
      stream = Job.watch([], { batchSize: 100 });
    } catch {
      return;
    }
    stream.on('change', () => {
      support.known = true;
      onChange();
    });
    stream.on('error', (e: unknown) => {
      stream?.close().catch(() => {});
      stream = null;
      if (support.known !== true && changeStreamsUnsupported(e)) {
        support.known = false;
        return;
      }
      if (!closed) timer = setTimeout(() => open(true), 1000).unref();
    });
    if (reopened) onChange();
  };
  open(false);
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    stream?.close().catch(() => {});
  };
}

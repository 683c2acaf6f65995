import type { Model } from 'mongoose';
import { changeStreamsUnsupported } from './rows.js';

/** Whether the server offers change streams: unknown until a stream reports a change or fails. */
export interface ChangeStreamSupport {
  known?: boolean;
}

/**
 * Which changes to jobs wake a watcher: a job added or removed, or an update that changes its
 * state or run_at (work may have become available). A running job's output flush and lease
 * renewal (output, output_bytes, lease_expires_at) do not, so idle workers are not woken several
 * times a second by the busy ones. A server that does not say which fields an update changed
 * wakes the watcher for every update.
 */
export const JOB_CHANGES = [
  {
    $match: {
      $or: [
        { operationType: { $in: ['insert', 'delete', 'replace'] } },
        {
          operationType: 'update',
          $or: [
            { 'updateDescription.updatedFields.state': { $exists: true } },
            { 'updateDescription.updatedFields.run_at': { $exists: true } },
            { updateDescription: { $exists: false } },
          ],
        },
      ],
    },
  },
];

/** Which changes to workers wake a watcher: a stop request. Heartbeats do not. */
export const WORKER_CHANGES = [
  {
    $match: {
      operationType: 'update',
      $or: [
        { 'updateDescription.updatedFields.stop_requested': { $exists: true } },
        { 'updateDescription.updatedFields.stop_force': { $exists: true } },
        { updateDescription: { $exists: false } },
      ],
    },
  },
];

/**
 * A change stream on one collection, filtered on the server and without the full documents,
 * where the server offers change streams (replica sets). Where it refuses them the stream closes
 * at once and callers go on polling. When the server goes away the stream is reopened once it is
 * back, with one call to `onChange` for what was missed meanwhile.
 */
export function watchCollection<T>(model: Model<T>, pipeline: Record<string, unknown>[], support: ChangeStreamSupport, onChange: () => void): () => void {
  let closed = false;
  let stream: ReturnType<Model<T>['watch']> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const open = (reopened: boolean) => {
    if (closed || support.known === false) return;
    try {
      stream = model.watch(pipeline, { batchSize: 100 });
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

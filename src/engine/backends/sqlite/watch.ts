import { watch as fsWatch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Every commit from any process appends to the write-ahead log, so watching the database's
 * directory for writes to `<db>-wal` (or the file itself, after a checkpoint) tells idle workers
 * and the dashboard that something changed, without polling the database.
 */
export function watchFile(location: string, onChange: () => void): () => void {
  const name = basename(location);
  const names = new Set([name, `${name}-wal`]);
  let watcher: ReturnType<typeof fsWatch> | undefined;
  try {
    watcher = fsWatch(dirname(location), { persistent: false }, (_event, file) => {
      if (file === null || names.has(file.toString())) onChange();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // no inotify (or a network filesystem): callers fall back to polling
  }
  return () => watcher?.close();
}

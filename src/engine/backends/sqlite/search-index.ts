import type { Database } from 'better-sqlite3';

/**
 * The search index (`jobs_search`, migrations 8 and 10) holds every job up to a mark
 * (`jobs_search_mark.seq`); the jobs above it, the tail, are indexed in batches. A search reads
 * the index for the jobs at or below the mark and tests the tail's jobs one by one (list.ts), so
 * its answers are exact wherever the mark stands, and the tail's length bounds what that test
 * costs.
 *
 * Why batches: an FTS5 insert committed alone writes a segment of its own, about 60 µs, as much
 * as the rest of an enqueue; inserted many at a time, in ascending rowid order (seq descending:
 * the rowid is the seq negated), they share segments, and a job costs a few µs, merges included.
 */

/**
 * The longest tail: a write transaction that leaves at least this many jobs above the mark
 * indexes them all. A search that finds few or no matches tests every job of the tail (about
 * 0.3 µs each at 1M jobs, twice for the dashboard's page and counts); the batch costs one enqueue
 * in this many about 5 ms more.
 */
export const SEARCH_TAIL_ROWS = 2048;

/** Indexing the tail from inside a write transaction. */
export interface SearchIndexer {
  /**
   * After jobs were inserted in this write transaction: `last` is the largest seq now, `mark`
   * the mark as read in this transaction. Indexes the tail when it is `bound` jobs or longer (at
   * most; seqs of deleted jobs count too).
   */
  afterInsert(last: number, mark: number): void;
  /** The mark, read in the caller's transaction. */
  mark(): number;
  /** Indexes the whole tail now, whatever its length (in the caller's write transaction). */
  catchUp(): void;
}

export function makeSearchIndexer(db: Database, bound = SEARCH_TAIL_ROWS): SearchIndexer {
  const readMark = db.prepare('SELECT seq FROM jobs_search_mark').pluck();
  const lastSeq = db.prepare('SELECT COALESCE(MAX(seq), 0) FROM jobs').pluck();
  // Newest first, so the index is given ascending rowids: FTS5 keeps adding to one pending
  // segment only while they ascend.
  const index = db.prepare('INSERT INTO jobs_search (rowid, id, command) SELECT -seq, id, command FROM jobs WHERE seq > ? ORDER BY seq DESC');
  const setMark = db.prepare('UPDATE jobs_search_mark SET seq = ?');
  const catchUpFrom = (last: number, mark: number) => {
    if (last <= mark) return;
    index.run(mark);
    setMark.run(last);
  };
  return {
    afterInsert(last, mark) {
      if (last - mark >= bound) catchUpFrom(last, mark);
    },
    mark: () => readMark.get() as number,
    catchUp() {
      catchUpFrom(lastSeq.get() as number, readMark.get() as number);
    },
  };
}

import type { Database } from 'better-sqlite3';

/**
 * The search index (`jobs_search`, migrations 8 and 10) holds every job up to a mark
 * (`jobs_search_mark.seq`); the jobs above it, the tail, are indexed later, in chunks. A search
 * reads the index for the jobs at or below the mark and tests the tail's jobs one by one
 * (list.ts), so its answers are exact wherever the mark stands, and the tail's length bounds what
 * that test costs (about 0.3 µs a job at 1M jobs, twice for the dashboard's page and counts).
 *
 * Who indexes: not the enqueue. Indexing costs a few µs a job, as much as the rest of a bulk
 * enqueue, so enqueues leave their jobs in the tail and the processes with time to spare index
 * it: workers, when they find nothing to claim and, while jobs keep them busy, between two jobs
 * once the tail is SEARCH_TAIL_ROWS long (`SqliteBackend.indexSearchTail`, worker/runner.ts).
 * Each step indexes at most SEARCH_CHUNK_ROWS jobs in a write transaction of its own, so the
 * write lock is held for a few ms and enqueues are not held up. Only a tail past
 * SEARCH_TAIL_CAP (jobs enqueued by the million with no worker running) is indexed by the
 * enqueue that finds it.
 *
 * Why chunks and their order: an FTS5 insert committed alone writes a segment of its own, about
 * 60 µs; inserted many at a time, in ascending rowid order (seq descending: the rowid is the seq
 * negated), they share segments, and a job costs a few µs, merges included. A chunk is the
 * oldest jobs of the tail (the mark moves up over them), inserted newest first: ascending rowids
 * within each transaction, which is where FTS5 needs them (it flushes its pending segment when a
 * rowid does not ascend, and at every commit anyway).
 */

/** A busy worker indexes a chunk between two jobs once the tail is this long. */
export const SEARCH_TAIL_ROWS = 2048;

/** The most jobs one step indexes, in one write transaction (about 10-20 ms). */
export const SEARCH_CHUNK_ROWS = 2048;

/**
 * The longest tail an insert leaves: one that finds the tail longer indexes the oldest of it,
 * its own jobs' worth and a chunk more, so that no search ever tests more than this many jobs
 * one by one, whether or not a worker runs. A tail this long costs a search about 0.3 s (0.6 s
 * for the dashboard's page and counts): slow, but bounded. It is 2^20, about a million, so that
 * a bulk load of up to a million jobs into a queue with no worker running (the engine bench puts
 * 520,000 into an empty database, the search bench's fixture 1,000,000) runs at full speed, and
 * workers index the tail when they start.
 */
export const SEARCH_TAIL_CAP = 1 << 20;

/** Indexing the tail, each call in the caller's write transaction (the reads in any). */
export interface SearchIndexer {
  /**
   * After jobs were inserted in this write transaction: `last` is the largest seq now, `mark`
   * the mark as read in this transaction. Indexes the oldest of the tail only when it is `cap`
   * jobs or longer (at most; seqs of deleted jobs count too), leaving it `cap - chunk` long.
   */
  afterInsert(last: number, mark: number): void;
  /** The mark, read in the caller's transaction. */
  mark(): number;
  /** The tail's length as seqs (an upper bound of its jobs: deleted ones leave gaps). */
  tail(): number;
  /** Indexes the oldest `rows` jobs of the tail and moves the mark over them; returns the tail left. */
  indexChunk(rows: number): number;
}

export function makeSearchIndexer(db: Database, cap = SEARCH_TAIL_CAP, chunk = SEARCH_CHUNK_ROWS): SearchIndexer {
  const readMark = db.prepare('SELECT seq FROM jobs_search_mark').pluck();
  const tail = db.prepare('SELECT COALESCE(MAX(seq), 0) - (SELECT seq FROM jobs_search_mark) FROM jobs').pluck();
  // The newest job of a chunk: the mark moves to a job's seq, never into a gap (migration 10:
  // deleting the job at the mark moves it down, which a mark in a gap would escape).
  const chunkEnd = db.prepare('SELECT MAX(seq) FROM (SELECT seq FROM jobs WHERE seq > ? ORDER BY seq LIMIT ?)').pluck();
  const lastUpTo = db.prepare('SELECT MAX(seq) FROM jobs WHERE seq <= ?').pluck();
  // Newest first, so the index is given ascending rowids: FTS5 keeps adding to one pending
  // segment only while they ascend.
  const index = db.prepare('INSERT INTO jobs_search (rowid, id, command) SELECT -seq, id, command FROM jobs WHERE seq > ? AND seq <= ? ORDER BY seq DESC');
  const setMark = db.prepare('UPDATE jobs_search_mark SET seq = ?');
  const indexUpTo = (mark: number, end: number | null) => {
    if (end === null || end <= mark) return;
    index.run(mark, end);
    setMark.run(end);
  };
  return {
    afterInsert(last, mark) {
      if (last - mark < cap) return;
      // The jobs this insert brought past the cap and a chunk more: each insert pays for its own,
      // and one by one, only every chunk-th insert indexes.
      indexUpTo(mark, lastUpTo.get(Math.min(last, last - cap + chunk)) as number | null);
    },
    mark: () => readMark.get() as number,
    tail: () => tail.get() as number,
    indexChunk(rows) {
      const mark = readMark.get() as number;
      indexUpTo(mark, chunkEnd.get(mark, rows) as number | null);
      return tail.get() as number;
    },
  };
}

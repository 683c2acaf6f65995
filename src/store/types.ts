import type { Attempt, Dependency, Job, JobState, MatchCounts, StateCounts, Throughput, WorkerRecord } from '../engine/types.js';
import type { EnqueueFormValues } from './enqueue-form.js';

/** The dashboard's state: plain data, replaced on every change, never mutated. */

export type MainView = 'jobs' | 'workers' | 'dlq' | 'queues';
/** The views Tab cycles through; the queues view opens with `:queues`. */
export const MAIN_VIEWS: readonly MainView[] = ['jobs', 'workers', 'dlq'];

/**
 * Orders a table can be paged in by keyset cursor (an index seek per page, at any depth): by
 * creation, or, for finished jobs, by when they finished. Others (priority, attempts) would scan.
 */
export const SORT_KEYS = ['created', 'finished'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export const JOB_TABS = ['all', 'pending', 'processing', 'completed', 'failed', 'dead', 'cancelled', 'waiting'] as const;
export type JobTab = (typeof JOB_TABS)[number];

/** The two paged job tables: the jobs view (with state tabs) and the DLQ (dead jobs only). */
export type ListId = 'jobs' | 'dlq';

/**
 * Which page a table shows. No cursor: the newest page (or, with `from: 'last'`, the oldest).
 * With a cursor: the page just older (`after`) or just newer (`before`) than that position,
 * so a page stays put while new jobs arrive.
 */
export interface PageAnchor {
  cursor?: string;
  direction?: 'after' | 'before';
  from?: 'last';
}

export interface JobList {
  tab: JobTab;
  /** Text filter on id or command; empty: none. */
  search: string;
  /** Only jobs of this queue; null: every queue. */
  queue: string | null;
  sort: SortKey;
  /** Oldest (or earliest finished) first. */
  reverse: boolean;
  /**
   * Rows before this page in the table's order, as far as the dashboard followed the paging: exact
   * for the first and the last page, counted page by page in between.
   */
  offset: number;
  /** Counts per state of the jobs the filter matches (the tabs show them), and for which filter. */
  matches: { search: string; counts: MatchCounts } | null;
  anchor: PageAnchor;
  jobs: readonly Job[];
  next: string | null;
  prev: string | null;
  /** Cursor row within the page. */
  row: number;
  /** Rows the screen has room for; only this many jobs are fetched. */
  pageSize: number;
  marks: readonly string[];
  /** Each marked job's state when last seen (marks hold across tabs; the view says how many are elsewhere). */
  markStates: Readonly<Record<string, JobState>>;
  /** Bumped whenever the query changes, so a slower fetch for an older query is dropped. */
  version: number;
  loaded: boolean;
}

export type WorkerHealth = 'ok' | 'stale' | 'dead';

export interface WorkerRow extends WorkerRecord {
  /** `stale`: no heartbeat for a whole lease; `dead`: its process on this host is gone. */
  health: WorkerHealth;
}

export interface HeaderState {
  counts: StateCounts | null;
  /** Attempts that finished in the last minute. */
  lastMinute: Throughput;
  /** Attempts finished per second, one sample per refresh interval, oldest first. */
  history: readonly number[];
  /** Names of the paused queues. */
  paused: readonly string[];
}

export interface DetailState {
  id: string;
  job: Job | null;
  attempts: readonly Attempt[];
  /** The jobs it waits for (`after`), each with its state when last read. */
  dependencies: readonly Dependency[];
  /** Output lines scrolled up from the bottom; 0 follows the output as it grows. */
  scroll: number;
  /** Long output lines wrap; else they are cut, and `x` is the first column shown. */
  wrap: boolean;
  x: number;
  error: string | null;
}

export interface StatusLine {
  text: string;
  /** The scripted form of what was just done. */
  command?: string;
  tone: 'ok' | 'error' | 'info';
}

/** What a confirmation, once accepted, will do. Data, so the state stays plain. */
export type ConfirmAction =
  | { kind: 'cancel' | 'retry'; ids: readonly string[]; skipped: ReadonlyArray<{ id: string; state: JobState | 'gone' }> }
  | { kind: 'delete'; ids: readonly string[]; skipped: ReadonlyArray<{ id: string; state: JobState | 'gone' }> }
  | { kind: 'delete-all'; search: string; queue: string | null }
  | { kind: 'rerun'; id: string }
  | { kind: 'retry-all' }
  | { kind: 'stop-all' };

export type Modal =
  | { kind: 'confirm'; message: string; action: ConfirmAction }
  | EnqueueModal;

/** The enqueue form: what is typed in each field, and which field has the cursor. */
export interface EnqueueModal {
  kind: 'enqueue';
  values: EnqueueFormValues;
  field: number;
  /** Where the cursor is in the focused field; at its end when absent. */
  cursor?: number;
  error: string | null;
  busy: boolean;
}

export interface Prompt {
  kind: 'filter' | 'command';
  text: string;
  /** Where the cursor is in `text` (a character index); at the end when absent. */
  cursor?: number;
}

/** A request to leave the screen for a while (the pager), served by whoever runs the screen. */
export interface Suspend {
  kind: 'pager';
  title: string;
  text: string;
}

export const EMPTY_THROUGHPUT: Throughput = { completed: 0, failed: 0 };

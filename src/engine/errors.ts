/**
 * Named errors. Faces map them to a one-line message and an exit code:
 * `UserError` and its subclasses are the caller's mistake (exit 2), everything else is a
 * runtime failure (exit 1).
 */

export class QueueError extends Error {
  /** Exit code a command-line face should use. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: invalid JSON, a missing field, an unknown key, a value out of range. */
export class UserError extends QueueError {
  override readonly exitCode: number = 2;
}

export class ValidationError extends UserError {}

export class JobNotFoundError extends UserError {
  constructor(readonly jobId: string) {
    super(`no job with id "${jobId}"`);
  }
}

export class DuplicateJobError extends UserError {
  constructor(readonly jobId: string) {
    super(`a job with id "${jobId}" already exists`);
  }
}

export class ScheduleNotFoundError extends UserError {
  constructor(readonly schedule: string) {
    super(`no schedule named "${schedule}"`);
  }
}

export class DuplicateScheduleError extends UserError {
  constructor(readonly schedule: string) {
    super(`a schedule named "${schedule}" already exists (remove it first with "queuectl schedule rm ${schedule}")`);
  }
}

/** A transition the state machine forbids, such as retrying a completed job. */
export class IllegalTransitionError extends UserError {
  constructor(
    readonly jobId: string,
    readonly from: string,
    readonly action: string,
    hint?: string,
  ) {
    super(`cannot ${action} job "${jobId}": it is ${from}${hint ? ` (${hint})` : ''}`);
  }
}

export class UnknownConfigKeyError extends UserError {
  constructor(readonly key: string, known: readonly string[]) {
    super(`unknown config key "${key}" (known keys: ${known.join(', ')})`);
  }
}

/** The database could not be reached, opened, or stayed locked past its timeout. */
export class StorageError extends QueueError {
  /** True when waiting may help (a lock, a server that is down); false for a bad path or a broken file. */
  readonly transient: boolean;
  /**
   * True when a write may have been applied although it reported failure (the connection broke
   * after the request was sent): the caller reads back before deciding it did not happen.
   */
  readonly unknownOutcome: boolean;
  /** True when another process held the lock the operation needed (transient too). */
  readonly locked: boolean;
  constructor(message: string, options?: { cause?: unknown; transient?: boolean; unknownOutcome?: boolean; locked?: boolean }) {
    super(message, options);
    this.transient = options?.transient ?? false;
    this.unknownOutcome = options?.unknownOutcome ?? false;
    this.locked = options?.locked ?? false;
  }
}

/** The database at the configured location is not the one this process opened (deleted, replaced). */
export class DatabaseReplacedError extends StorageError {}

/** The database refused the credentials: retrying will not help. */
export class AuthenticationError extends StorageError {}

/** Normalises anything thrown into an Error, once, at the edges. */
export function coerceError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(JSON.stringify(value));
  } catch {
    return new Error(String(value));
  }
}

/** One line for a person: the message without a stack, collapsed to a single line. */
export function oneLine(error: unknown): string {
  return coerceError(error).message.replace(/\s*\n\s*/g, ' ').trim();
}

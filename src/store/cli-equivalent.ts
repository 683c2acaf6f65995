/**
 * The scripted form of each dashboard action, shown on the status line so an operator learns the
 * command that does the same from a shell.
 */

import { shellQuote } from '../present/text.js';

export { shellQuote };

export class CliEquivalent {
  /** `db`: the --db the dashboard was started with, if any; it is repeated so the command hits the same database. */
  constructor(private readonly db?: string) {}

  private cmd(words: string[]): string {
    const all = ['queuectl', ...words.map(shellQuote)];
    if (this.db !== undefined) all.push('--db', shellQuote(this.db));
    return all.join(' ');
  }

  retry(id: string): string {
    return this.cmd(['retry', id]);
  }

  dlqRetry(id: string): string {
    return this.cmd(['dlq', 'retry', id]);
  }

  dlqRetryAll(): string {
    return this.cmd(['dlq', 'retry', '--all']);
  }

  cancel(id: string): string {
    return this.cmd(['cancel', id]);
  }

  /** Flags in the order the form asks for them; the command goes after `--` as one word. */
  enqueue(flags: ReadonlyArray<[string, string]>, command: string): string {
    const words = ['enqueue'];
    for (const [flag, value] of flags) words.push(flag, value);
    return `${this.cmd(words)} -- ${shellQuote(command)}`;
  }

  workerStart(count: number): string {
    return this.cmd(['worker', 'start', '--count', String(count)]);
  }

  workerStop(ids?: readonly string[]): string {
    return this.cmd(['worker', 'stop', ...(ids ?? [])]);
  }

  schedule(verb: 'pause' | 'resume' | 'run', name: string): string {
    return this.cmd(['schedule', verb, name]);
  }

  list(state: string | null, search: string, queue: string | null = null): string {
    const words = ['list'];
    if (state !== null) words.push('--state', state);
    if (search !== '') words.push('--search', search);
    if (queue !== null) words.push('--queue', queue);
    return this.cmd(words);
  }

  dlqDelete(ids: readonly string[]): string {
    return this.cmd(['dlq', 'delete', ...ids]);
  }

  dlqDeleteAll(search: string, queue: string | null): string {
    const words = ['dlq', 'delete', '--all'];
    if (search !== '') words.push('--search', search);
    if (queue !== null) words.push('--queue', queue);
    return this.cmd([...words, '--yes']);
  }

  rerun(id: string): string {
    return this.cmd(['rerun', id]);
  }

  queuePause(name: string, paused: boolean): string {
    return this.cmd(['queue', paused ? 'pause' : 'resume', name]);
  }
}

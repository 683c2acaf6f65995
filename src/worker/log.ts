export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured event. Workers print these as JSON lines, never through a terminal UI. */
export type Logger = (level: LogLevel, event: string, fields?: Record<string, unknown>) => void;

/** A logger that writes `{ts, level, event, worker, …}` as one JSON object per line. */
export function jsonLogger(worker: string, write: (line: string) => void = (line) => void process.stdout.write(line)): Logger {
  return (level, event, fields) => {
    write(`${JSON.stringify({ ts: new Date().toISOString(), level, event, worker, ...fields })}\n`);
  };
}

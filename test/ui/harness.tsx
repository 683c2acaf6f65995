import { render } from 'ink-testing-library';
import type { Queue } from '../../src/engine/queue.js';
import type { WorkerControl } from '../../src/store/controllers/index.js';
import { createDashboard, type Dashboard } from '../../src/store/dashboard.js';
import { App } from '../../src/ui/App.js';
import { DashboardContext } from '../../src/ui/context.js';
import { ColorContext } from '../../src/ui/theme.js';
import { openTestQueue } from './seed.js';

/** Key sequences as a terminal sends them. */
export const KEY = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  enter: '\r',
  esc: '\x1b',
  tab: '\t',
  backspace: '\x7f',
  ctrlR: '\x12',
} as const;

export interface Mounted {
  dash: Dashboard;
  queue: Queue;
  frame(): string;
  /** Everything written to the terminal, frames and other sequences alike. */
  written(): readonly string[];
  press(...keys: string[]): Promise<void>;
  /** Writes `text` to the terminal in one piece, as a paste or very fast typing delivers it. */
  type(text: string): void;
  /** Waits until the frame satisfies `test`, polling; fails with the last frame. */
  waitForFrame(test: (frame: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  resize(columns: number, rows: number): void;
  unmount(): Promise<void>;
}

/**
 * The dashboard over a real SQLite file, rendered by ink-testing-library at `columns`×`rows`,
 * with its poller running as in production.
 */
export async function mountDashboard(path: string, options: { columns?: number; rows?: number; color?: boolean; workers?: WorkerControl; refreshMs?: number } = {}): Promise<Mounted> {
  const queue = openTestQueue(path);
  const dash = createDashboard(queue, { refreshMs: options.refreshMs ?? 250, db: path, workers: options.workers ?? null });
  const ui = render(
    <ColorContext.Provider value={options.color ?? false}>
      <DashboardContext.Provider value={{ store: dash.store, controllers: dash.controllers }}>
        <App />
      </DashboardContext.Provider>
    </ColorContext.Provider>,
  );
  const size = { columns: options.columns ?? 100, rows: options.rows ?? 30 };
  Object.defineProperty(ui.stdout, 'columns', { get: () => size.columns, configurable: true });
  Object.defineProperty(ui.stdout, 'rows', { get: () => size.rows, configurable: true });
  ui.stdout.emit('resize');
  dash.poller.start();
  const frame = () => ui.lastFrame() ?? '';
  const m: Mounted = {
    dash,
    queue,
    frame,
    written: () => ui.frames,
    async press(...keys) {
      for (const k of keys) {
        ui.stdin.write(k);
        // Let the key's handler and its render run before the next key, as a person's typing does.
        await new Promise((r) => setTimeout(r, 15));
      }
    },
    type(text) {
      ui.stdin.write(text);
    },
    async waitForFrame(test, what, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const f = frame();
        if (test(f)) return f;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last frame:\n${f}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    resize(columns, rows) {
      size.columns = columns;
      size.rows = rows;
      ui.stdout.emit('resize');
    },
    async unmount() {
      dash.poller.stop();
      await dash.poller.idle();
      ui.unmount();
      await queue.close();
    },
  };
  return m;
}

/** The frame's lines, each trimmed at the end. */
export function lines(frame: string): string[] {
  return frame.split('\n').map((l) => l.trimEnd());
}

/** The table row of a job (the line that starts with its id, after the mark column). */
export function rowOf(frame: string, id: string): string | undefined {
  return lines(frame).find((l) => l.slice(0, 40).includes(` ${id} `));
}

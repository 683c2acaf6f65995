import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { render } from 'ink';
import type { Queue } from '../engine/queue.js';
import type { WorkerControl } from '../store/controllers/index.js';
import { createDashboard } from '../store/dashboard.js';
import { App, frameSize, pageSizes } from './App.js';
import { DashboardContext } from './context.js';
import { ColorContext, colorFromEnv } from './theme.js';
import { watchInkMeasureCache } from './ink-measure-cache.js';
import { RENDER_OPTIONS } from './render-options.js';
import { correctFrameStart } from './frame-stream.js';

export interface ScreenOptions {
  /** The --db given, repeated in the commands the dashboard shows. */
  db?: string;
  refreshMs?: number;
  /** Opens the queue and the worker supervisor (the caller composes them; see commands/dashboard.ts). */
  open(): Promise<{ queue: Queue; workers: WorkerControl | null }>;
}

/** `$PAGER`, or `less -R` (colours in the output pass through; `q` quits). */
export function pagerCommand(env: NodeJS.ProcessEnv): string {
  const p = env.PAGER?.trim();
  return p ? p : 'less -R';
}

/**
 * Shows `text` in the pager on the terminal itself and resolves when it exits: null, or why it
 * could not run. The dashboard has let go of the terminal meanwhile (raw mode off, no input read).
 */
function runPager(text: string): Promise<string | null> {
  const cmd = pagerCommand(process.env);
  return new Promise((resolve) => {
    const child = spawn(cmd, { shell: true, stdio: ['pipe', 'inherit', 'inherit'] });
    child.on('error', (e) => resolve(`could not run the pager "${cmd}": ${e.message}`));
    child.on('exit', (code) => resolve(code === 0 || code === null ? null : `the pager "${cmd}" exited with code ${code}`));
    // A pager quit before reading everything closes its end: that is not an error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(text);
  });
}

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[H\x1b[2J';
const LEAVE_ALT_SCREEN = '\x1b[?25h\x1b[?1049l';

/** Texts Ink may keep measured before its cache is emptied (a few megabytes at most). */
const MEASURE_CACHE_LIMIT = 5000;

/** Signals that end the dashboard, with the exit code each one gives. */
const SIGNALS: ReadonlyArray<[NodeJS.Signals, number]> = [
  ['SIGTERM', 143],
  ['SIGHUP', 129],
  ['SIGINT', 130],
];

/**
 * Runs the full-screen dashboard until `q`, Ctrl-C, `:q` or a signal, and resolves with the exit
 * code. The terminal is restored on every way out: the alternate screen is left and the cursor
 * shown again, also when something throws.
 */
export async function runDashboardScreen(opts: ScreenOptions): Promise<number> {
  const { queue, workers } = await opts.open();
  const dash = createDashboard(queue, {
    ...(opts.refreshMs !== undefined ? { refreshMs: opts.refreshMs } : {}),
    ...(opts.db !== undefined ? { db: opts.db } : {}),
    workers,
  });
  const stdout = process.stdout;

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    try {
      // Synchronous, so it happens even from an 'exit' handler.
      writeSync(stdout.fd, LEAVE_ALT_SCREEN);
    } catch {
      // the terminal is gone; nothing is left to restore
    }
  };
  const cleanups: Array<() => void> = [];
  process.on('exit', restore);
  cleanups.push(() => process.off('exit', restore));

  stdout.write(ENTER_ALT_SCREEN);
  let exitCode = 0;
  let failure: unknown;
  let signalled = false;
  let current: { unmount(): void } | null = null;
  const draw = () =>
    render(
      <ColorContext.Provider value={colorFromEnv()}>
        <DashboardContext.Provider value={{ store: dash.store, controllers: dash.controllers }}>
          <App />
        </DashboardContext.Provider>
      </ColorContext.Provider>,
      { ...RENDER_OPTIONS, stdout: RENDER_OPTIONS.incrementalRendering ? correctFrameStart(stdout) : stdout },
    );
  try {
    for (const [signal, code] of SIGNALS) {
      const onSignal = () => {
        exitCode = code;
        signalled = true;
        current?.unmount();
      };
      process.on(signal, onSignal);
      cleanups.push(() => process.off(signal, onSignal));
    }
    // The first frame is drawn with its data in it: the tables get the page size the frame
    // will give them, and one refresh reads the counts and the first page (index seeks, a few
    // milliseconds) before anything is drawn. Drawing an empty frame first would cost a whole
    // render more, on the way to the frame that matters.
    const sizes = pageSizes(frameSize(stdout.columns || 80, stdout.rows || 24).body);
    dash.store.getState().setPageSize('jobs', sizes.jobs);
    dash.store.getState().setPageSize('dlq', sizes.dlq);
    await dash.poller.refresh();
    // The screen is drawn until quit; the pager ends one drawing and a fresh one follows it, so
    // Ink lets go of the keyboard while the pager has it and draws the whole frame when it is back.
    for (let first = true; ; first = false) {
      let instance: ReturnType<typeof draw> | undefined;
      if (first) {
        const measureCache = watchInkMeasureCache(() => (instance = draw()));
        if (measureCache) {
          const trim = setInterval(() => measureCache.trim(MEASURE_CACHE_LIMIT), 30_000);
          trim.unref();
          cleanups.push(() => clearInterval(trim));
        }
        dash.poller.start();
      } else {
        instance = draw();
      }
      if (!instance) break;
      current = instance;
      await instance.waitUntilExit();
      const suspend = dash.store.getState().suspend;
      if (signalled || dash.store.getState().quit || !suspend) break;
      const result = await runPager(suspend.text);
      stdout.write(ENTER_ALT_SCREEN);
      dash.store.getState().setSuspend(null);
      if (result) dash.store.getState().setStatus({ text: result, tone: 'error' });
    }
  } catch (e) {
    failure = e;
  } finally {
    dash.poller.stop();
    await dash.poller.idle().catch(() => undefined);
    restore();
    for (const c of cleanups.reverse()) c();
    await queue.close().catch(() => undefined);
  }
  if (failure !== undefined) throw failure;
  return exitCode;
}

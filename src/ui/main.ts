import type { ScreenOptions } from './run-dashboard.js';

/** Where the dashboard's build finds the engine's bridge (rolldown.config.js reads it there too). */
const CORE_BRIDGE = Symbol.for('queuectl.core-bridge');

/**
 * The dashboard's entry, loaded by the CLI only for `queuectl`, `queuectl dashboard` and `ui`,
 * once it has found an interactive terminal.
 *
 * React and Ink are imported here, late, in their production builds: the development builds
 * check and log so much that they cost several milliseconds per frame.
 *
 * Two libraries decide at import time from the CI variables, and each reads them differently:
 * Ink (is-in-ci) takes `CI` or `CONTINUOUS_INTEGRATION` set to anything but `0`/`false` to mean
 * "draw nothing until exit", and chalk (supports-color) takes the mere presence of `CI`, whatever
 * its value, to mean "no colour, no bold, no inverse". Setting `CI=false` satisfies the first and
 * silences the second, so the variables are removed, not overridden, while the dashboard's modules
 * load. An operator who opens the dashboard on a terminal wants it drawn, with its styles, wherever
 * that terminal is. They are put back right after the import, so workers started from the
 * dashboard (and their jobs) see the user's environment.
 */
export async function runDashboard(opts: ScreenOptions): Promise<number> {
  const refusal = terminalRefusal(process.env);
  if (refusal) {
    process.stderr.write(`queuectl: ${refusal}\n`);
    return 1;
  }
  // The dashboard, built apart, reaches the engine through the bridge (see
  // core-bridge.ts), handed over here: the instances this process already uses.
  (globalThis as Record<symbol, unknown>)[CORE_BRIDGE] = await import('./core-bridge.js');
  const screen = await withEnv(DASHBOARD_ENV, () => import('./run-dashboard.js'));
  return screen.runDashboardScreen(opts);
}

/** The environment the terminal libraries see while they load; `undefined` removes a variable. */
export const DASHBOARD_ENV: Readonly<Record<string, string | undefined>> = {
  NODE_ENV: process.env.NODE_ENV ?? 'production',
  CI: undefined,
  CONTINUOUS_INTEGRATION: undefined,
};

export async function withEnv<T>(vars: Readonly<Record<string, string | undefined>>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const put = (values: Readonly<Record<string, string | undefined>>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  put(vars);
  try {
    return await fn();
  } finally {
    put(saved);
  }
}

/**
 * Why the dashboard cannot run on this terminal, or null. `TERM=dumb` (Emacs shell buffers, some CI
 * consoles, editors' terminals) cannot move the cursor or show inverse video: the dashboard would
 * scroll garbage with no visible selection, so it says so in one line instead.
 */
export function terminalRefusal(env: NodeJS.ProcessEnv): string | null {
  if (env.TERM === 'dumb') {
    return 'the dashboard cannot draw on TERM=dumb; set TERM (e.g. xterm-256color) or use queuectl status, list or show';
  }
  return null;
}

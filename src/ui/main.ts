/**
 * The dashboard's entry, loaded by the CLI only for `queuectl`, `queuectl dashboard` and `ui`,
 * once it has found an interactive terminal.
 *
 * React and Ink are imported here, late, in their production builds: the development builds
 * check and log so much that they cost several milliseconds per frame. Ink also decides at
 * import time whether it runs in CI (the CI variable) and then draws nothing until exit; an
 * operator who opens the dashboard on a terminal wants it drawn wherever that terminal is.
 * The variables are put back right after the import, so workers started from the dashboard
 * (and their jobs) see the user's environment.
 */
export async function runDashboard(opts: { db?: string; refreshMs?: number }): Promise<number> {
  const screen = await withEnv({ NODE_ENV: process.env.NODE_ENV ?? 'production', CI: 'false', CONTINUOUS_INTEGRATION: 'false' }, () =>
    import('./run-dashboard.js'),
  );
  return screen.runDashboardScreen(opts);
}

async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

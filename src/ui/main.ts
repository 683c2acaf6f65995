/**
 * The dashboard's entry, loaded by the CLI only for `queuectl`, `queuectl dashboard` and `ui`.
 *
 * React and Ink are imported here, late, in their production builds: the development builds
 * check and log so much that they cost several milliseconds per frame. NODE_ENV is put back
 * right after, so workers started from the dashboard (and their jobs) see the user's environment.
 */
export async function runDashboard(opts: { db?: string; refreshMs?: number }): Promise<number> {
  const before = process.env.NODE_ENV;
  if (before === undefined) process.env.NODE_ENV = 'production';
  let screen: typeof import('./run-dashboard.js');
  try {
    screen = await import('./run-dashboard.js');
  } finally {
    if (before === undefined) delete process.env.NODE_ENV;
  }
  return screen.runDashboardScreen(opts);
}

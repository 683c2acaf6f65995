import { parseDuration } from '../engine/duration.js';
import { ValidationError } from '../engine/errors.js';
import type { GlobalOptions } from './shared.js';

export interface DashboardOptions extends GlobalOptions {
  refresh?: string;
}

export const DEFAULT_REFRESH = '1s';

export async function runDashboardCommand(o: DashboardOptions): Promise<number> {
  const refreshMs = parseDuration(o.refresh ?? DEFAULT_REFRESH, '--refresh');
  if (refreshMs < 100) throw new ValidationError(`invalid value "${o.refresh}" for --refresh: at least 100ms`);
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new ValidationError('the dashboard needs an interactive terminal; for scripts use queuectl status, list or worker list');
  }
  // Ink and React cost about half a second to load: only the dashboard pays for them.
  const ui = await import('../ui/main.js');
  return ui.runDashboard({ ...(o.db !== undefined ? { db: o.db } : {}), refreshMs });
}

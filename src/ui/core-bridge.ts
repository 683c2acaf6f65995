/**
 * What the dashboard (src/ui, src/store) uses of the engine and the rest of queuectl, in one
 * module. The dashboard is built apart (rolldown.config.js explains why), and every import it
 * makes of a module outside src/ui and src/store is served from this module's chunk of the first
 * build: one copy of the engine in dist, and the same instances the CLI uses.
 * A name missing here fails the build.
 */
export { formatDuration, parseDuration } from '../engine/duration.js';
export { IllegalTransitionError, JobNotFoundError, ValidationError, oneLine } from '../engine/errors.js';
export { describeOutcome, isWorkerStale } from '../engine/policy.js';
export { rerunBase } from '../engine/queue.js';
export { limitsSummary } from '../engine/rules.js';
export { describeSpec } from '../engine/schedules.js';
export { isIndexedTerm } from '../engine/search.js';
export { canCancel } from '../engine/state-machine.js';
export { hostId, processState } from '../os/host.js';
export { shellQuote } from '../present/text.js';
export { STATE_COLORS } from '../state-colors.js';

// The engine and dashboard modules the benchmarks drive directly. dist holds only the bundled
// CLI and worker, so bench/lib.mjs bundles this file from the sources into dist-bench/.
export { SqliteBackend } from '../src/engine/backends/sqlite/sqlite-backend.js';
export { SEARCH_CHUNK_ROWS, SEARCH_TAIL_ROWS } from '../src/engine/backends/sqlite/search-index.js';
export { openMongoBackend } from '../src/engine/backends/mongo/mongo-backend.js';
export { Queue } from '../src/engine/queue.js';
export { createDashboard } from '../src/store/dashboard.js';
export { App } from '../src/ui/App.js';
export { DashboardContext } from '../src/ui/context.js';
export { ColorContext } from '../src/ui/theme.js';
export { startWorkers, stopWorkers } from '../src/worker/supervisor.js';
export { RENDER_OPTIONS } from '../src/ui/render-options.js';
export { correctFrameStart } from '../src/ui/frame-stream.js';
// The React and Ink the dashboard's modules above were bundled with (the build bundles them, as
// it does for the CLI): a second copy from node_modules would not share React's state with them.
export { render } from 'ink';
export { default as React } from 'react';

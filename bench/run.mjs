// `npm run bench`: every performance figure of queuectl in one run, each next to the anchor it
// is compared with. Figures are reported, never asserted; `--only a,b` runs some sections.
// The drain section is quick by default; `--full` gives it more rounds and jobs (see drain.mjs).
import { printSummary, tempDir } from './lib.mjs';

const sections = {
  engine: () => import('./engine.mjs').then((m) => m.run()),
  deps: () => import('./dependencies.mjs').then((m) => m.run()),
  drain: (dir) => import('./drain.mjs').then((m) => m.run(dir)),
  processes: (dir) => import('./processes.mjs').then((m) => m.run(dir)),
  startup: (dir) => import('./startup.mjs').then((m) => m.run(dir)),
  large: (dir) => import('./large.mjs').then((m) => m.run(dir)),
  search: (dir) => import('./search.mjs').then((m) => m.run(dir)),
  dashboard: (dir) => import('./dashboard.mjs').then((m) => m.run(dir)),
  mongo: (dir) => import('./mongo.mjs').then((m) => m.run(dir)),
  schedules: () => import('./schedules.mjs').then((m) => m.run()),
};

const onlyArg = process.argv.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1] : process.argv[process.argv.indexOf(onlyArg) + 1]).split(',') : Object.keys(sections);
const unknown = only.filter((s) => !(s in sections));
if (unknown.length) {
  console.error(`bench: unknown section ${unknown.join(', ')} (sections: ${Object.keys(sections).join(', ')})`);
  process.exit(2);
}

console.log(`queuectl bench — node ${process.version}, ${new Date().toISOString()}`);
const t = tempDir();
try {
  for (const name of only) {
    try {
      await sections[name](t.dir);
    } catch (e) {
      console.error(`bench section ${name} failed: ${e instanceof Error ? e.stack : e}`);
      process.exitCode = 1;
    }
  }
} finally {
  t.cleanup();
}
printSummary();

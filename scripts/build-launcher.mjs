// Builds dist/queuectl-launcher from native/launcher.c with the C compiler at hand ($CC, else cc,
// gcc or clang). Without one the build goes on: workers then start their commands with Node's
// spawn, which works the same and costs the worker more CPU per job (src/worker/launcher.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'launcher.c');
const target = join(root, 'dist', 'queuectl-launcher');
const compilers = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];

mkdirSync(dirname(target), { recursive: true });
for (const cc of compilers) {
  const r = spawnSync(cc, ['-O2', '-Wall', '-o', target, source], { encoding: 'utf8' });
  if (r.error?.code === 'ENOENT') continue;
  if (r.status === 0) process.exit(0);
  process.stderr.write(`queuectl build: ${cc} could not build the launcher; workers will start commands with Node:\n${r.stderr ?? r.error?.message ?? ''}\n`);
  process.exit(0);
}
process.stderr.write(`queuectl build: no C compiler (${compilers.join(', ')}); workers will start commands with Node, at more CPU per job\n`);

/**
 * A V8 code cache for queuectl's own chunks, so a command does not compile its JavaScript from
 * source on every run: compiling the engine's chunk is about a third of what `status` costs
 * beyond `node -e 0`. Node 22.1 and later do this themselves (`module.enableCompileCache`); on
 * Node 20 the chunks are compiled here, through `vm.Script` with the cached data, which V8 checks
 * against the source, its own version and its flags (a mismatch is rejected and compiled afresh).
 *
 * The cache lives in the user's own cache directory ($XDG_CACHE_HOME or ~/.cache, then
 * queuectl/code-cache, made 0700), one file per chunk and command, named by the chunk's file name
 * (which holds a hash of its content), the command, the Node version and the architecture, so
 * installs and upgrades do not share entries. It is written once, when a chunk had no usable entry,
 * as the process exits (through a temporary file and a rename, so a reader never sees half an
 * entry), after the command ran: the functions it compiled are in the entry too. That is why each
 * command has its own: V8 compiles a function when it first runs, so an entry written by `status`
 * holds none of the insert path, and `enqueue` read from it compiled that path on every run (about
 * 5 ms). Past KEEP_ENTRIES entries (old releases), the oldest are removed. Any failure (no home, a
 * read-only disk, a corrupt entry) only means compiling from source, as without a cache.
 * QUEUECTL_COMPILE_CACHE=off turns it off.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { Module } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

interface ModuleInternals {
  _compile(content: string, filename: string): unknown;
  exports: unknown;
}

/** Where the entries go (null: caching is off). */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.QUEUECTL_COMPILE_CACHE === 'off') return null;
  let base = env.XDG_CACHE_HOME;
  if (!base || !base.startsWith('/')) {
    const home = homedir();
    if (!home) return null;
    base = join(home, '.cache');
  }
  return join(base, 'queuectl', 'code-cache');
}

/**
 * The command a run's entries are kept for: its first word that looks like a command name
 * (`worker list` and `worker start` share `worker`; options and paths before it are passed over);
 * `default` when there is none (the dashboard). A word that is no command (a typo, an option's value)
 * names entries of its own, pruned in time.
 */
export function commandProfile(args: readonly string[]): string {
  for (const a of args) {
    if (a === '--') break;
    if (/^[a-z][a-z-]{0,23}$/.test(a)) return a;
  }
  return 'default';
}

/**
 * Turns the cache on for the chunks in `chunksDir` (the modules loaded after this call), with
 * entries of their own for `profile` (commandProfile). Returns whether it is on.
 */
export function enableCodeCache(chunksDir: string, profile: string): boolean {
  const dir = codeCacheDir();
  if (dir === null) return false;
  const native = (Module as unknown as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache;
  if (typeof native === 'function') {
    try {
      native(dir);
      return true;
    } catch {
      return false;
    }
  }
  const proto = Module.prototype as unknown as ModuleInternals;
  const compile = proto._compile;
  const prefix = chunksDir.endsWith('/') ? chunksDir : `${chunksDir}/`;
  const toWrite: { file: string; script: Script }[] = [];
  proto._compile = function (this: ModuleInternals, content: string, filename: string) {
    // A chunk that calls import() is left to Node: on Node 20, a script compiled from cached data
    // in another process loses its dynamic import callback (import() then throws).
    if (!filename.startsWith(prefix) || !filename.endsWith('.js') || content.includes('import(')) return compile.call(this, content, filename);
    const file = join(dir, `${basename(filename, '.js')}-${profile}-${process.version}-${process.arch}.bin`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(file);
    } catch {
      // no entry yet
    }
    let script: Script;
    try {
      script = new Script(Module.wrap(content), { filename, cachedData });
    } catch {
      return compile.call(this, content, filename);
    }
    if (cachedData === undefined || script.cachedDataRejected) toWrite.push({ file, script });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(this.exports, this.exports, Module.createRequire(filename), this, filename, dirname(filename));
  };
  process.once('exit', () => {
    if (toWrite.length === 0) return;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const { file, script } of toWrite) {
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        renameSync(tmp, file);
      }
      prune(dir);
    } catch {
      // not writable: the next run compiles from source again
    }
  });
  return true;
}

/**
 * Entries kept: a few releases' worth, for the commands a user runs (an entry is 20-200 KB, the
 * dashboard's about 800 KB); the least recently written go first.
 */
const KEEP_ENTRIES = 120;

/** Entries of releases no longer installed are never read again: past KEEP_ENTRIES, the oldest go. */
function prune(dir: string): void {
  const names = readdirSync(dir);
  if (names.length <= KEEP_ENTRIES) return;
  const aged = names.map((n) => {
    try {
      return { n, t: statSync(join(dir, n)).mtimeMs };
    } catch {
      return { n, t: 0 };
    }
  });
  aged.sort((a, b) => a.t - b.t);
  for (const { n } of aged.slice(0, aged.length - KEEP_ENTRIES)) {
    try {
      unlinkSync(join(dir, n));
    } catch {
      // gone already
    }
  }
}

// One build graph: rolldown reads the TypeScript sources once and writes each entry (the CLI,
// and the worker process the CLI starts) with the modules they share in chunks, so no module is
// in dist twice (test/cli/build.test.ts checks). Dependencies stay external, loaded from
// node_modules as usual, but for the dashboard's (below).
//
// Node 20's module loader costs about half a millisecond per file, so the chunks follow what a
// command needs rather than one per module: `core` holds the engine, the SQLite adapter and the
// commands' own modules, enough for every everyday command (cli.js + core is all `status`
// loads); what is heavy or rarely used loads later in its own chunk: commander's program, shell
// completion, the dashboard (Ink, React), the MongoDB adapter (mongoose), the worker runtime.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import pkg from './package.json' with { type: 'json' };

// Ink and React (with react-reconciler, yoga-layout and the rest they pull in) are bundled into
// the dashboard's chunk instead: loaded from node_modules they are about a hundred files, several
// of them CommonJS that Node's ESM loader must pre-parse for their exports, and importing them
// took three to four times as long as the one bundled file does (the dashboard's first frame waits
// for it). zustand goes with them, so its React binding uses that same, single copy of React.
const BUNDLED = new Set(['ink', 'react', 'zustand']);
const externals = [...Object.keys(pkg.dependencies).filter((d) => !BUNDLED.has(d)), ...builtinModules, /^node:/,
  // Ink imports it only when DEV=true, and it is not installed: left to fail at run time as in Ink.
  'react-devtools-core',
  // better-sqlite3 needs it only to search for its addon, which queuectl names (sqlite-backend.ts).
  'bindings'];
/** better-sqlite3's JavaScript is bundled (sqlite-backend.ts says why); its addon is loaded from node_modules. */
const BUNDLED_FILES = /^better-sqlite3\/lib\//;
export const external = (id) =>
  !BUNDLED_FILES.test(id) && externals.some((e) => (typeof e === 'string' ? id === e || id.startsWith(`${e}/`) : e.test(id)));

/** The source file of a module id, as a path under src/ (with forward slashes), or null. */
const srcPath = (id) => /[\\/]src[\\/](.+)$/.exec(id.replaceAll('\\', '/'))?.[1] ?? null;

/** The chunk a source module goes in, by its path under src/. */
export function chunkOf(id) {
  // better-sqlite3's JavaScript goes with the engine. (The helpers rolldown wraps CommonJS modules
  // with go in a file of their own when two chunks use them: the MongoDB adapter imports mongoose
  // by name, not by default, so they stay in this chunk.)
  if (/[\\/]node_modules[\\/]better-sqlite3[\\/]/.test(id)) return 'core';
  // Other bundled dependencies (Ink's, which has its own src/ folders) go with the chunk that imports them.
  if (/[\\/]node_modules[\\/]/.test(id)) return null;
  const path = srcPath(id);
  if (!path) return null;
  if (path === 'cli.ts' || path === 'worker/main.ts') return null; // the entries themselves
  if (path === 'compile-cache.ts') return null; // in the CLI's entry: it runs before the chunks load
  // Loaded by `import()` only: rolldown gives each its own chunks. (A module that `import()`
  // loads from inside a named group would get a re-exporting file of its own besides.)
  if (/^(ui|store|worker|engine\/backends\/mongo)\//.test(path)) return null;
  if (path === 'commands/program.ts' || path === 'commands/completion.ts') return null;
  return 'core';
}

/**
 * Ink 6.8 makes a fresh set of text caches for every frame (`caches = new OutputCaches()` in its
 * Output), so each frame splits every line of the screen into styled characters again, unchanged
 * or not: most of a frame's cost on the dashboard (40-50 ms a frame on a busy machine, each key
 * press and each refresh). The bundled copy keeps one set across frames, started afresh when it
 * holds more than a few screens of lines; what it caches is a pure function of the line's text.
 * test/cli/build.test.ts checks that the dashboard chunk has it.
 */
const inkSharedCaches = {
  name: 'ink-shared-output-caches',
  transform(code, id) {
    if (!/[\\/]ink[\\/]build[\\/]output\.js$/.test(id.replaceAll('\\', '/'))) return null;
    const field = 'caches = new OutputCaches();';
    if (!code.includes(field)) {
      this.warn(`ink/build/output.js no longer has "${field}": frames are rendered without shared caches`);
      return null;
    }
    return (
      code.replace(field, 'caches = sharedOutputCaches();') +
      `
let sharedCaches;
function sharedOutputCaches() {
  const c = sharedCaches;
  if (c === undefined || c.styledChars.size > 2000 || c.widths.size + c.blockWidths.size > 20000) sharedCaches = new OutputCaches();
  return sharedCaches;
}
`
    );
  },
};


/**
 * Ink turns each line of a frame back into text one cell at a time, asking ansi-tokenize for the
 * difference between the styles of each cell and the next: three Sets and two arrays for each of
 * the screen's cells (4,200 at 120×35), nearly always to learn there is none (a blank cell after a
 * blank cell, a letter after a letter of the same word): a fifth of the dashboard's CPU while keys
 * were pressed, in a profile. The bundled copy skips the difference when both cells hold the same codes in the same
 * order, where it is empty by its definition, and when the last cell has no style to reset.
 * test/ui/styled-chars.test.ts checks the copy writes what the original does.
 */
const ansiSameStyles = {
  name: 'ansi-tokenize-same-styles',
  transform(code, id) {
    if (!/[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]styledChars\.js$/.test(id.replaceAll('\\', '/'))) return null;
    const between = 'ret += ansiCodesToString(diffAnsiCodes(chars[i - 1].styles, char.styles));';
    const last = 'ret += ansiCodesToString(diffAnsiCodes(char.styles, []));';
    if (!code.includes(between) || !code.includes(last)) {
      this.warn('@alcalzone/ansi-tokenize/build/styledChars.js has changed: frames are written without the same-styles shortcut');
      return null;
    }
    return (
      code
        .replace(between, `if (!sameAnsiCodes(chars[i - 1].styles, char.styles)) ${between}`)
        .replace(last, `if (char.styles.length > 0) ${last}`) +
      `
function sameAnsiCodes(a, b) {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].code !== b[i].code || a[i].endCode !== b[i].endCode) return false;
  return true;
}
`
    );
  },
};


/**
 * Ink's reconciler has two top-level awaits, both for React DevTools when DEV=true: importing its
 * connector (react-devtools-core, not installed: Ink then warns and goes on) and reading Ink's
 * package.json for the renderer's name. The bundled copy takes the path Ink takes when the
 * connector is missing and names the renderer without reading a file, so the dashboard has no
 * top-level await and can be CommonJS (see below).
 */
const inkWithoutDevtools = {
  name: 'ink-without-devtools',
  transform(code, id) {
    if (!/[\\/]ink[\\/]build[\\/]reconciler\.js$/.test(id.replaceAll('\\', '/'))) return null;
    const devtools = "await import('./devtools.js');";
    const pkgJson = /\?\s*await loadPackageJson\(\)/;
    if (!code.includes(devtools) || !pkgJson.test(code)) this.error('ink/build/reconciler.js no longer has the DevTools awaits the dashboard build replaces');
    return code
      .replace(devtools, "throw Object.assign(new Error('react-devtools-core is not installed'), { code: 'ERR_MODULE_NOT_FOUND' });")
      .replace(pkgJson, "? { name: 'ink', version: undefined }");
  },
};

/**
 * yoga-layout, Ink's layout engine, starts with a top-level await: its Emscripten module fetches
 * its own WebAssembly from a data: URL (which loads Node's fetch, undici) and compiles it
 * asynchronously, about 65 ms of the dashboard's first frame. The bundled copy instead decodes
 * the same bytes with Buffer and instantiates them synchronously through the module's
 * `instantiateWasm` hook, about 17 ms. The bytes are cut out of the Emscripten file into an
 * export of their own, so they are in the chunk once. test/cli/build.test.ts checks that the
 * dashboard chunk has it.
 */
const YOGA_SYNC = '\0queuectl:yoga-sync';
const YOGA_DATA = 'data:application/octet-stream;base64,';
const yogaSync = {
  name: 'yoga-layout-sync',
  // The copy of yoga-layout the importer would load, wherever npm put it: the module stands in
  // for its dist/src/index.js.
  async resolveId(source, importer, options) {
    if (source !== 'yoga-layout' || !importer || importer.startsWith(YOGA_SYNC)) return null;
    const index = await this.resolve(source, importer, { ...options, skipSelf: true });
    if (!index || !/[\\/]dist[\\/]src[\\/]index\.js$/.test(index.id)) this.error(`yoga-layout resolved to ${index?.id}, not the dist/src/index.js the dashboard build expects`);
    return `${YOGA_SYNC}:${index.id}`;
  },
  async load(id) {
    if (!id.startsWith(`${YOGA_SYNC}:`)) return null;
    const dir = join(dirname(id.slice(YOGA_SYNC.length + 1)), '..', '/');
    return `import loadYoga, { wasmBase64 } from ${JSON.stringify(`${dir}binaries/yoga-wasm-base64-esm.js`)};
import wrapAssembly from ${JSON.stringify(`${dir}src/wrapAssembly.js`)};
export * from ${JSON.stringify(`${dir}src/generated/YGEnums.js`)};
const bytes = Buffer.from(wasmBase64, 'base64');
const module = {
  instantiateWasm(imports, done) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
    done(instance);
    return instance.exports;
  },
};
loadYoga(module);
// done() above ran the module's start-up: it is ready now, not a tick later.
const Yoga = wrapAssembly(module);
export default Yoga;
`;
  },
  transform(code, id) {
    if (!/[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/.test(id)) return null;
    // The module's binary: `H="data:application/octet-stream;base64,…"`.
    const at = code.indexOf(`H="${YOGA_DATA}`) + 3 + YOGA_DATA.length;
    const end = code.indexOf('"', at);
    const base64 = code.slice(at, end);
    if (at < 3 + YOGA_DATA.length || !/^[A-Za-z0-9+/]{1000,}=*$/.test(base64) || !code.includes('h.instantiateWasm')) {
      this.error('yoga-layout no longer has the Emscripten module the dashboard build expects');
    }
    return `${code.slice(0, at)}${code.slice(end)}\nexport const wasmBase64 = ${JSON.stringify(base64)};\n`;
  },
};

/** The dashboard's own modules: the screen (Ink, React) and its state (zustand). */
const DASHBOARD_SIDE = /^(ui|store)\//;

/**
 * The dashboard is built apart from the commands and the worker, as CommonJS too (with the two
 * plugins above it has no top-level await), so that the helpers rolldown wraps CommonJS modules
 * with (React is CommonJS) stay inside the core chunk: in one build shared by the engine and the
 * dashboard, they would be a file of their own that every command loads. Being CommonJS, the
 * dashboard's 900 KB are code-cached like the other chunks (compile-cache.ts): about 15 ms to
 * load instead of about 50 ms compiling the same code as an ES module on every start.
 *
 * The dashboard side reaches the engine through `src/ui/core-bridge.ts`, a chunk of the first
 * build that src/ui/main.ts loads and hands over before it imports the dashboard: every import
 * the dashboard makes of a module outside src/ui and src/store is served from it, so the engine
 * is in dist once and the dashboard shares the CLI's instances (its error classes are the ones
 * the engine throws). The bridge lists what it exports; a name the dashboard imports that it does
 * not list fails the build.
 */
const BRIDGE_SOURCE = fileURLToPath(new URL('./src/ui/core-bridge.ts', import.meta.url));
const BRIDGE = '\0queuectl:core-bridge';

const dashboardOutside = {
  name: 'dashboard-outside-the-first-build',
  resolveId(source, importer) {
    if (importer && srcPath(importer) === 'ui/main.ts' && source === './run-dashboard.js') return { id: DASHBOARD_STUB, external: true };
    return null;
  },
  // Loaded with require, as the build's own chunks are: import() would start Node's ES module
  // loader for one CommonJS file, and keep main.ts's chunk out of the code cache.
  renderChunk(code) {
    const dynamic = `import("${DASHBOARD_STUB}")`;
    return code.includes(dynamic) ? code.replace(dynamic, `Promise.resolve().then(() => require("${DASHBOARD_STUB}"))`) : null;
  },
};

/**
 * The dashboard's file has a hash in its name like every chunk, so an upgrade never meets a code
 * cache entry of the previous release's dashboard (compile-cache.ts); the first build loads it
 * through this stub, which names it. The stub is .cjs: not code-cached, it is read afresh.
 */
const DASHBOARD_STUB = './dashboard.cjs';
const dashboardStub = {
  name: 'dashboard-stub',
  generateBundle(_options, bundle) {
    const entry = Object.values(bundle).find((o) => o.type === 'chunk' && o.isEntry);
    this.emitFile({ type: 'asset', fileName: `chunks/${DASHBOARD_STUB.slice(2)}`, source: `module.exports = require(${JSON.stringify(`./${entry.fileName.slice('chunks/'.length)}`)});\n` });
  },
};

const engineThroughBridge = {
  name: 'engine-through-the-bridge',
  async resolveId(source, importer, options) {
    if (!importer || !source.startsWith('.')) return null;
    const from = srcPath(importer);
    if (!from || !DASHBOARD_SIDE.test(from)) return null;
    const r = await this.resolve(source, importer, { ...options, skipSelf: true });
    const to = r && srcPath(r.id);
    return to && !DASHBOARD_SIDE.test(to) ? BRIDGE : null;
  },
  load(id) {
    if (id !== BRIDGE) return null;
    const names = [...readFileSync(BRIDGE_SOURCE, 'utf8').matchAll(/^export \{([^}]*)\}/gm)]
      .flatMap((m) => m[1].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()))
      .filter(Boolean);
    return `const core = globalThis[Symbol.for('queuectl.core-bridge')];
if (!core) throw new Error('the dashboard is loaded through src/ui/main.ts, which hands it the engine');
export const { ${names.join(', ')} } = core;
`;
  },
};

const common = {
  platform: 'node',
  external,
  // The bundled React and Ink in their production builds (the development ones check and log
  // so much that each frame costs several milliseconds more).
  transform: { define: { QUEUECTL_VERSION: JSON.stringify(pkg.version), 'process.env.NODE_ENV': '"production"' } },
};

/** dist/package.json: the .js files of dist are CommonJS (the package's own sources are ES modules). */
const commonjsDist = {
  name: 'commonjs-dist',
  generateBundle() {
    this.emitFile({ type: 'asset', fileName: 'package.json', source: `${JSON.stringify({ type: 'commonjs' })}\n` });
  },
};

/** What the build changes in the libraries it bundles (bench/lib.mjs builds with them too). */
export const libraryPlugins = [inkSharedCaches, ansiSameStyles, inkWithoutDevtools, yogaSync];

export default [
  {
    ...common,
    plugins: [dashboardOutside, commonjsDist],
    input: { cli: 'src/cli.ts', 'worker/main': 'src/worker/main.ts' },
    // Nothing imports the entries; without this, each module loaded by `import()` from inside a
    // chunk would get a file of its own re-exporting it (one more file to load).
    preserveEntrySignatures: false,
    output: {
      dir: 'dist',
      format: 'cjs',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      codeSplitting: { includeDependenciesRecursively: false, groups: [{ name: chunkOf, debugName: 'by path' }] },
    },
  },
  {
    ...common,
    plugins: [...libraryPlugins, engineThroughBridge, dashboardStub],
    input: { dashboard: 'src/ui/run-dashboard.tsx' },
    preserveEntrySignatures: 'strict',
    output: {
      dir: 'dist',
      format: 'cjs',
      entryFileNames: 'chunks/[name]-[hash].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
    },
  },
];

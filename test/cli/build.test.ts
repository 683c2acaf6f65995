/**
 * The build (rolldown.config.js): each source module is in exactly one file of dist, whichever
 * entries (the CLI, the worker process) use it, though the dashboard is built apart. Checked twice: by rolldown's own chunk information for the
 * configuration, and in the files dist holds, by the `// src/...` line rolldown writes at the
 * start of each module it bundles.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { requireBuild } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Duplicates in a list of [module, file] pairs, as "module: file, file". */
function duplicates(pairs: Array<[string, string]>): string[] {
  const where = new Map<string, string[]>();
  for (const [m, f] of pairs) where.set(m, [...(where.get(m) ?? []), f]);
  return [...where].filter(([, fs]) => fs.length > 1).map(([m, fs]) => `${m}: ${fs.join(', ')}`);
}

describe('the build', () => {
  it('rolldown puts every module in one chunk only, the dashboard and MongoDB in chunks of their own', async () => {
    const { rolldown } = await import('rolldown');
    const { default: configs } = await import(join(ROOT, 'rolldown.config.js'));
    const [commonjs, dashboard] = await Promise.all(
      (configs as Array<{ output: object }>).map(async (config) => {
        const bundle = await rolldown({ ...config, cwd: ROOT, logLevel: 'silent' });
        const { output } = await bundle.generate(config.output);
        await bundle.close();
        return output
          .filter((o) => o.type === 'chunk')
          .flatMap((c) => c.moduleIds.map((m) => [relative(ROOT, m), c.fileName] as [string, string]));
      }),
    );
    // Each build has its own copy of the bundler's helpers.
    const pairs = [...commonjs, ...dashboard].filter(([m]) => m !== '\0rolldown/runtime.js');
    expect(pairs.length).toBeGreaterThan(50);
    expect(duplicates(pairs)).toEqual([]);
    // The dashboard's build holds the dashboard (src/ui, src/store) and the libraries it bundles;
    // the engine reaches it through the bridge, from the CommonJS build.
    const src = dashboard.map(([m]) => m).filter((m) => m.startsWith('src/'));
    expect(src.filter((m) => !/^src\/(ui|store)\//.test(m))).toEqual([]);
    expect(src.length).toBeGreaterThan(20);
    expect(dashboard.map(([m]) => m)).toContain('\0queuectl:core-bridge');
    expect(commonjs.map(([m]) => m).filter((m) => /^src\/(ui|store)\//.test(m)).sort()).toEqual(['src/ui/core-bridge.ts', 'src/ui/main.ts']);
    const fileOf = (module: string) => pairs.find(([m]) => m === module)?.[1];
    // Loaded only through import(): never in the files every command loads.
    const eager = new Set(['cli.js', fileOf('src/engine/queue.ts')]);
    for (const lazy of ['src/ui/main.ts', 'src/ui/run-dashboard.tsx', 'src/engine/backends/mongo/mongo-backend.ts', 'src/commands/program.ts', 'src/commands/completion.ts', 'src/worker/runner.ts']) {
      expect(fileOf(lazy), lazy).toBeDefined();
      expect(eager.has(fileOf(lazy)), `${lazy} is in ${fileOf(lazy)}`).toBe(false);
    }
    expect(fileOf('src/worker/main.ts')).toBe('worker/main.js');
    // better-sqlite3's JavaScript goes with the engine; its addon stays in node_modules.
    expect(fileOf('node_modules/better-sqlite3/lib/database.js')).toBe(fileOf('src/engine/queue.ts'));
  });

  it('the dashboard chunk bundles Ink, React and zustand, with Ink\'s text caches kept across frames', () => {
    requireBuild();
    const chunks = files(join(DIST, 'chunks'));
    const dashboard = chunks.filter((f) => readFileSync(f, 'utf8').includes('caches = sharedOutputCaches()'));
    expect(dashboard.map((f) => relative(DIST, f))).toEqual([expect.stringMatching(/^chunks\/dashboard-[\w-]{8}\.js$/)]);
    // Loaded through a stub that names it: .cjs, which the code cache leaves alone.
    expect(readFileSync(join(DIST, 'chunks/dashboard.cjs'), 'utf8')).toBe(`module.exports = require("./${relative(join(DIST, 'chunks'), dashboard[0])}");\n`);
    const text = readFileSync(dashboard[0], 'utf8');
    // CommonJS with no import() in it, so the code cache takes it (compile-cache.ts).
    expect(text).toMatch(/^exports.runDashboardScreen = /m);
    expect(text).not.toContain('import(');
    expect(text).not.toMatch(/from "(ink|react|zustand)(\/[^"]*)?"/);
    // yoga-layout's WebAssembly is instantiated synchronously from bytes it holds once, not
    // fetched from a data: URL and awaited.
    expect(text).toContain('loadYoga(module');
    expect(text.split('AGFzbQEAAAAB').length - 1).toBe(1);
    expect(text).not.toMatch(/^await /m);
    // The everyday commands' chunk holds none of it.
    const core = chunks.find((f) => /chunks\/core-[\w-]{8}\.js$/.test(f));
    expect(core).toBeDefined();
    expect(readFileSync(core as string, 'utf8')).not.toMatch(/node_modules\/(ink|react|react-reconciler|scheduler|zustand|yoga-layout)\//);
  });

  it('dist holds the two entries and their chunks, and each module once', () => {
    requireBuild();
    // And the worker's launcher, compiled (not JavaScript) where a C compiler is installed.
    const all = files(DIST).map((f) => relative(DIST, f)).filter((f) => f !== 'queuectl-launcher');
    expect(all.filter((f) => !/^(cli\.js|worker\/main\.js|package\.json|chunks\/[\w-]+\.js|chunks\/dashboard\.cjs)$/.test(f))).toEqual([]);
    // The .js files are CommonJS (the sources are ES modules).
    expect(JSON.parse(readFileSync(join(DIST, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    const pairs = all.flatMap((f) =>
      readFileSync(join(DIST, f), 'utf8')
        .split('\n')
        .filter((line) => /^\/\/ src\/\S+\.tsx?$/.test(line))
        .map((line) => [line.slice(3), f] as [string, string]),
    );
    expect(pairs.length).toBeGreaterThan(50);
    expect(duplicates(pairs)).toEqual([]);
  });
});

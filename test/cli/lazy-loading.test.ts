import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type Sandbox, requireBuild, sandbox } from './helpers.js';

/**
 * What each command loads. Start-up speed itself is measured in the benchmark, not here; this
 * checks the cause: the everyday commands load two files of the build and never commander, and
 * no command loads a heavy module (ink, react, mongoose, execa, zustand) it does not use.
 */

let sb: Sandbox;
let hooks: string[];
beforeAll(() => {
  requireBuild();
  sb = sandbox();
  // Two recorders, as the build is CommonJS (the dashboard aside) and loads its dependencies with
  // `require`: a preload that records every file the CommonJS loader loads, and a resolve hook
  // for ES modules (it runs on the loader thread, so both write to a file).
  writeFileSync(
    join(sb.dir, 'trace-require.cjs'),
    `const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const load = Module.prototype.load;
Module.prototype.load = function (filename) {
  appendFileSync(process.env.QUEUECTL_TRACE, filename + '\\n');
  return load.call(this, filename);
};
`,
  );
  writeFileSync(
    join(sb.dir, 'trace-hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.QUEUECTL_TRACE, r.url + '\\n');
  return r;
}
`,
  );
  writeFileSync(join(sb.dir, 'trace-register.mjs'), `import { register } from 'node:module';\nregister('./trace-hooks.mjs', import.meta.url);\n`);
  hooks = ['--require', join(sb.dir, 'trace-require.cjs'), '--import', join(sb.dir, 'trace-register.mjs')];
});
afterAll(() => sb.cleanup());

let n = 0;
function loaded(args: string[]): string[] {
  const trace = join(sb.dir, `trace-${n++}.txt`);
  writeFileSync(trace, '');
  const r = spawnSync(process.execPath, [...hooks, CLI, '--db', sb.db, ...args], {
    cwd: sb.dir,
    env: { ...sb.env, QUEUECTL_TRACE: trace },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

const pkg = (urls: string[], name: string) => urls.some((u) => u.includes(`/node_modules/${name}/`));
const HEAVY = ['ink', 'react', 'mongoose', 'execa', 'zustand'];
/** The files of the build a run loaded, as paths under dist/ with the chunk hash dropped. */
const ours = (urls: string[]) =>
  [...new Set(urls.filter((u) => u.includes('/dist/')).map((u) => u.slice(u.lastIndexOf('/dist/') + 6).replace(/-[\w-]{8}\.(m?js)$/, '.$1')))].sort();

/** What every everyday command loads of the build: the entry and the core chunk. */
const EVERYDAY = ['chunks/core.js', 'cli.js'];

describe('lazy loading', () => {
  it('the everyday commands load neither commander nor any heavy module: the entry and the core chunk only', () => {
    expect(spawnSync(process.execPath, [CLI, '--db', sb.db, 'enqueue', '--id', 'seen', '--', 'true'], { env: sb.env }).status).toBe(0);
    for (const args of [
      ['status'],
      ['status', '--json'],
      ['enqueue', '{"command":"true"}'],
      ['enqueue', '--priority', '2', '--', 'echo', 'hi'],
      ['list', '--limit', '20'],
      ['show', 'seen'],
      ['worker', 'list'],
      ['config', 'list'],
      ['dlq', 'list'],
    ]) {
      const urls = loaded(args);
      for (const name of ['commander', '@bomb.sh/tab', ...HEAVY]) expect(pkg(urls, name), `${args.join(' ')} loads ${name}`).toBe(false);
      expect(ours(urls), args.join(' ')).toEqual(EVERYDAY);
      // better-sqlite3's JavaScript is in the core chunk: only its compiled addon comes from node_modules.
      const sqlite = urls.filter((u) => u.includes('/node_modules/better-sqlite3/'));
      expect(sqlite.map((u) => u.slice(u.lastIndexOf('/') + 1)), args.join(' ')).toEqual(['better_sqlite3.node']);
    }
  });

  it('help and bad input load commander, but nothing heavy', () => {
    for (const args of [['list', '--bogus'], ['status', '--help'], ['help']]) {
      const trace = join(sb.dir, `trace-${n++}.txt`);
      writeFileSync(trace, '');
      spawnSync(process.execPath, [...hooks, CLI, '--db', sb.db, ...args], { cwd: sb.dir, env: { ...sb.env, QUEUECTL_TRACE: trace } });
      const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      expect(pkg(urls, 'commander'), args.join(' ')).toBe(true);
      for (const name of ['@bomb.sh/tab', ...HEAVY]) expect(pkg(urls, name), `${args.join(' ')} loads ${name}`).toBe(false);
      expect(ours(urls), args.join(' ')).toEqual([...EVERYDAY, 'chunks/program.js'].sort());
    }
  });

  it('completion loads its chunk only for itself and its callback', () => {
    for (const args of [['completion', 'bash'], ['complete', '--', 'li']]) {
      const urls = loaded(args);
      expect(ours(urls), args.join(' ')).toContain('chunks/completion.js');
      for (const name of HEAVY) expect(pkg(urls, name), `${args.join(' ')} loads ${name}`).toBe(false);
    }
  });

  it('help falls back to commander even on the fast commands', () => {
    const r = spawnSync(process.execPath, [CLI, 'status', '--help'], { encoding: 'utf8', env: sb.env });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: queuectl status \[options\]/);
  });
});

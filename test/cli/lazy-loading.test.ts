import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type Sandbox, requireBuild, sandbox } from './helpers.js';

/**
 * What each command loads. Start-up speed itself is measured in the benchmark, not here; this
 * checks the cause: the hot commands never load commander, and no command loads a heavy module
 * (ink, react, mongoose, execa, zustand) it does not use.
 */

let sb: Sandbox;
let hooks: string;
beforeAll(() => {
  requireBuild();
  sb = sandbox();
  // A resolve hook that records every module import; it runs on the loader thread, so it writes to a file.
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
  hooks = join(sb.dir, 'trace-register.mjs');
  writeFileSync(hooks, `import { register } from 'node:module';\nregister('./trace-hooks.mjs', import.meta.url);\n`);
});
afterAll(() => sb.cleanup());

let n = 0;
function loaded(args: string[]): string[] {
  const trace = join(sb.dir, `trace-${n++}.txt`);
  writeFileSync(trace, '');
  const r = spawnSync(process.execPath, ['--import', hooks, CLI, '--db', sb.db, ...args], {
    cwd: sb.dir,
    env: { ...sb.env, QUEUECTL_TRACE: trace },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
}

const pkg = (urls: string[], name: string) => urls.some((u) => u.includes(`/node_modules/${name}/`));
const HEAVY = ['ink', 'react', 'mongoose', 'execa', 'zustand'];
/** A command's module, compiled (dist/commands/x.js) or as a chunk of the bundled CLI (dist/chunks/x-HASH.js). */
const commandModule = (url: string, names: string) => new RegExp(`/dist/(commands/(${names})|chunks/(${names})-[\\w-]+)\\.js$`).test(url);

describe('lazy loading', () => {
  it('status and enqueue load neither commander nor any heavy module', () => {
    for (const args of [['status'], ['status', '--json'], ['enqueue', '{"command":"true"}'], ['enqueue', '--priority', '2', '--', 'echo', 'hi']]) {
      const urls = loaded(args);
      expect(urls.some((u) => commandModule(u, 'status|enqueue'))).toBe(true);
      for (const name of ['commander', ...HEAVY]) expect(pkg(urls, name), `${args.join(' ')} loads ${name}`).toBe(false);
      // and no other command's module
      expect(urls.filter((u) => commandModule(u, 'list|show|worker|program|dashboard|completion'))).toEqual([]);
      expect(pkg(urls, '@bomb.sh/tab'), `${args.join(' ')} loads the completion library`).toBe(false);
    }
  });

  it('the other read commands load commander but nothing heavy', () => {
    for (const args of [['list'], ['show', 'nope'], ['worker', 'list'], ['config', 'list'], ['dlq', 'list']]) {
      const trace = join(sb.dir, `trace-${n++}.txt`);
      writeFileSync(trace, '');
      spawnSync(process.execPath, ['--import', hooks, CLI, '--db', sb.db, ...args], { cwd: sb.dir, env: { ...sb.env, QUEUECTL_TRACE: trace } });
      const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
      expect(pkg(urls, 'commander')).toBe(true);
      for (const name of HEAVY) expect(pkg(urls, name), `${args.join(' ')} loads ${name}`).toBe(false);
      expect(urls.filter((u) => commandModule(u, 'completion'))).toEqual([]);
      expect(pkg(urls, '@bomb.sh/tab'), `${args.join(' ')} loads the completion library`).toBe(false);
    }
  });

  it('completion loads its module only for itself and its callback', () => {
    for (const args of [['completion', 'bash'], ['complete', '--', 'li']]) {
      const urls = loaded(args);
      expect(urls.some((u) => commandModule(u, 'completion')), args.join(' ')).toBe(true);
      for (const name of HEAVY) expect(pkg(urls, name), `${args.join(' ')} loads ${name}`).toBe(false);
    }
  });

  it('help falls back to commander even on the fast commands', () => {
    const r = spawnSync(process.execPath, [CLI, 'status', '--help'], { encoding: 'utf8', env: sb.env });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: queuectl status \[options\]/);
  });
});

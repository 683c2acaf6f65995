import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, cli, cliJson, requireBuild, sandbox, waitFor } from './helpers.js';
import { cliInProcess } from './in-process.js';

/** The README's commands, run as written, so the documentation cannot drift from the program. */

const README = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');

/** The `queuectl …` lines of the sh blocks under a heading (all of them when `heading` is omitted). */
function commands(heading?: string, onlyFirstBlock = false): string[] {
  let text = README;
  if (heading) {
    const start = README.indexOf(`\n${heading}\n`);
    expect(start, `README heading ${heading}`).toBeGreaterThan(-1);
    const next = README.slice(start + heading.length + 2).search(/\n#{2,3} /);
    text = README.slice(start, next < 0 ? undefined : start + heading.length + 2 + next);
  }
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return (onlyFirstBlock ? blocks.slice(0, 1) : blocks)
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => /^queuectl(\s|$)/.test(l));
}

/** Splits a shell line into words, honouring single quotes (all the README uses). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) out.push(m[1] ?? m[2]);
  return out.slice(1); // drop "queuectl"
}

let sb: Sandbox;
beforeAll(requireBuild);

describe('the manual flow, exactly as the README gives it', () => {
  beforeAll(() => {
    sb = sandbox();
  });
  afterEach(() => {
    cli(sb, ['worker', 'stop', '--force']);
  });
  afterAll(() => sb.cleanup());

  it('ends with job-ok completed and job-fail in the DLQ', async () => {
    const flow = commands('### The manual flow', true);
    expect(flow).toEqual([
      `queuectl enqueue '{"id":"job-ok","command":"echo This will succeed"}'`,
      `queuectl enqueue '{"id":"job-fail","command":"exit 1"}'`,
      'queuectl worker start --count 1',
      'queuectl list --state completed',
      'queuectl dlq list',
      'queuectl worker stop',
    ]);
    // The README's own way of seeing the DLQ sooner.
    expect(README).toMatch(/^queuectl config set backoff_base 1\b/m);
    expect(cli(sb, ['config', 'set', 'backoff_base', '1'])).toMatchObject({ code: 0 });

    for (const line of flow) {
      const args = words(line);
      if (line === 'queuectl list --state completed') {
        await waitFor('job-ok in the completed list', () => (cli(sb, args).stdout.includes('job-ok') ? true : undefined));
      } else if (line === 'queuectl dlq list') {
        await waitFor('job-fail in the DLQ', () => (cli(sb, args).stdout.includes('job-fail') ? true : undefined), 30_000);
      } else {
        const r = cli(sb, args);
        expect(r.code, `${line}: ${r.stderr}`).toBe(0);
      }
    }
    expect(cliJson(sb, ['worker', 'list'])).toEqual([]);
  });
});

describe('every example in the README parses', () => {
  beforeAll(() => {
    sb = sandbox();
  });
  afterAll(() => {
    cli(sb, ['worker', 'stop', '--force']);
    sb.cleanup();
  });

  it('no example is met with a usage error', async () => {
    // Lines that start long-running processes are left out; their options are covered elsewhere.
    const lines = commands().filter((l) => !/--foreground|--follow|\||worker start/.test(l));
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) {
      // In this process through the binary's own path, but what reads stdin or wants a terminal.
      const spawned = /--file -|dashboard|^queuectl$/.test(line);
      const r = spawned ? cli(sb, words(line), { input: '' }) : await cliInProcess(sb, words(line));
      expect(r.stderr, line).not.toMatch(/unknown option|unknown command|too many arguments|missing required argument|argument missing/);
      expect([0, 1, 2], line).toContain(r.code);
    }
  });
});

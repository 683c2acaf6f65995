/**
 * The build's copy of ansi-tokenize's styledCharsToString (rolldown.config.js, the same-styles
 * shortcut) writes exactly what the original writes: for rows made the way Ink makes a frame's
 * rows (styled text written over blank cells), with every kind of SGR code the dashboard and its
 * libraries use, in random order.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
// Where the build finds it (Ink's dependency, installed at the top of node_modules).
const original = join(ROOT, 'node_modules', '@alcalzone', 'ansi-tokenize', 'build', 'styledChars.js');

interface Cell {
  type: 'char';
  value: string;
  fullWidth: boolean;
  styles: Array<{ code: string; endCode: string }>;
}
type Lib = {
  styledCharsFromTokens: (tokens: unknown[]) => Cell[];
  styledCharsToString: (cells: Cell[]) => string;
};

const dir = mkdtempSync(join(tmpdir(), 'queuectl-styled-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadPatched(): Promise<Lib> {
  const { libraryPlugins } = (await import(pathToFileURL(join(ROOT, 'rolldown.config.js')).href)) as {
    libraryPlugins: Array<{ name: string; transform(this: unknown, code: string, id: string): string | null }>;
  };
  const plugin = libraryPlugins.find((p) => p.name === 'ansi-tokenize-same-styles');
  const warnings: string[] = [];
  const code = plugin?.transform.call({ warn: (m: string) => warnings.push(m) }, readFileSync(original, 'utf8'), original);
  expect(warnings).toEqual([]);
  expect(code).toContain('sameAnsiCodes');
  // The copy imports its neighbours from the package's own directory.
  const file = join(dir, 'styledChars.mjs');
  writeFileSync(file, (code as string).replace(/\/\/# sourceMappingURL=.*$/m, '').replace(/from "\.\/([\w.]+)"/g, (_, f: string) => `from ${JSON.stringify(pathToFileURL(join(dirname(original), f)).href)}`));
  return (await import(pathToFileURL(file).href)) as Lib;
}

/** A deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SGR = ['0', '1', '2', '3', '4', '7', '9', '22', '23', '24', '27', '39', '49', '31', '32', '33', '36', '90', '97', '41', '44', '100', '38;5;208', '48;5;24', '38;2;10;200;30', '1;31', '2;7'];

describe('the dashboard build: styled cells back to text', () => {
  it('the same-styles shortcut writes what ansi-tokenize writes, over 4,000 random rows', async () => {
    const patched = await loadPatched();
    const { tokenize } = (await import(pathToFileURL(join(dirname(original), 'tokenize.js')).href)) as { tokenize: (s: string) => unknown[] };
    const plain = (await import(pathToFileURL(original).href)) as Lib;
    const rnd = random(7);
    const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
    let differing = 0;
    for (let row = 0; row < 4000; row++) {
      // A row of blank cells, as Ink starts each frame, with a few styled pieces written over it.
      const width = 10 + Math.floor(rnd() * 110);
      const cells: Cell[] = Array.from({ length: width }, () => ({ type: 'char', value: ' ', fullWidth: false, styles: [] }));
      for (let piece = Math.floor(rnd() * 5); piece > 0; piece--) {
        let text = '';
        for (let k = Math.floor(rnd() * 20); k > 0; k--) text += rnd() < 0.3 ? `\u001b[${pick(SGR)}m` : pick(['a', 'b', ' ', '─', '│', '✓', '9']);
        const styled = patched.styledCharsFromTokens(tokenize(text));
        const at = Math.floor(rnd() * width);
        styled.forEach((c, i) => {
          if (at + i < width) cells[at + i] = c;
        });
      }
      const want = plain.styledCharsToString(cells);
      expect(patched.styledCharsToString(cells)).toBe(want);
      if (want.includes('\u001b')) differing++;
    }
    // Most rows carry styles: the shortcut is met, not only blank rows.
    expect(differing).toBeGreaterThan(2000);
  });
});

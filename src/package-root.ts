import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The directory of queuectl's own package.json, found by walking up from this module. It does
 * not assume where the module sits inside the package: the CLI ships bundled, its chunks in
 * another directory than the compiled modules the worker process runs from.
 */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'queuectl') return (root = dir);
    if (dirname(dir) === dir) throw new Error('cannot find the queuectl package directory');
  }
}

/** The version in queuectl's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
}

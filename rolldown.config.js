// The CLI ships as one bundle (dist/cli.js, its lazily loaded commands as chunks in dist/chunks):
// Node 20's module loader costs about half a millisecond per file, and `queuectl status` would
// otherwise load nineteen of them before doing anything. Dependencies stay external, loaded
// from node_modules as usual. The worker process runs from the compiled modules in dist/.
import { builtinModules } from 'node:module';
import pkg from './package.json' with { type: 'json' };

const external = [...Object.keys(pkg.dependencies), ...builtinModules, /^node:/];

export default {
  input: 'dist/cli.js',
  platform: 'node',
  external: (id) => external.some((e) => (typeof e === 'string' ? id === e || id.startsWith(`${e}/`) : e.test(id))),
  output: {
    dir: 'dist',
    format: 'esm',
    entryFileNames: 'cli.js',
    chunkFileNames: 'chunks/[name]-[hash].js',
  },
};

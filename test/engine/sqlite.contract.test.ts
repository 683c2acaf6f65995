import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteBackend } from '../../src/engine/backends/sqlite/sqlite-backend.js';
import { backendContract } from './contract.js';

backendContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'queuectl-contract-'));
  const backend = SqliteBackend.open(join(dir, 'queue.db'));
  return {
    backend,
    async cleanup() {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

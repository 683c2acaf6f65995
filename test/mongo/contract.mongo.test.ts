import { describe, it } from 'vitest';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { backendContract } from '../engine/contract.js';
import { MONGO_URI, dropDatabase, uniqueDbName, warnSkipped, withDatabase } from './helpers.js';

if (MONGO_URI) {
  const base = MONGO_URI;
  backendContract('mongo', async () => {
    // A database of its own per case, so cases never see each other's jobs.
    const uri = withDatabase(base, uniqueDbName('queuectl_contract'));
    const backend = await openMongoBackend(uri, { connectTimeoutMs: 10_000 });
    return {
      backend,
      async cleanup() {
        await backend.close();
        await dropDatabase(uri);
      },
    };
  });
} else {
  warnSkipped('contract suite');
  describe.skip('storage contract: mongo (set MONGO_URI to run)', () => {
    it('runs the storage contract against MongoDB', () => {});
  });
}

/**
 * What the driver's errors become: refused credentials, a connection broken under a write, and
 * everything else the server says; never with the password in the message.
 */
import mongoose from 'mongoose';
import { describe, expect, it } from 'vitest';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { mapMongoError } from '../../src/engine/backends/mongo/rows.js';
import { makeScrubber, maskUri } from '../../src/engine/backends/mongo/uri.js';
import { AuthenticationError, StorageError } from '../../src/engine/errors.js';
import { MONGO_URI, withDatabase } from './helpers.js';

const URI = 'mongodb://alice:TopSecret42@db.example:27017/queuectl';
const map = (e: unknown) => mapMongoError(e, maskUri(URI), makeScrubber(URI));

describe('MongoDB errors', () => {
  it('calls refused credentials an AuthenticationError, not transient, in one line without the password', () => {
    const refused = new mongoose.mongo.MongoServerError({ ok: 0, code: 18, codeName: 'AuthenticationFailed', errmsg: 'Authentication failed.' });
    const err = map(refused);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect(err).toMatchObject({ transient: false, unknownOutcome: false });
    const message = (err as Error).message;
    expect(message).toContain('refused the credentials');
    expect(message).toContain('mongodb://alice:***@db.example:27017/queuectl');
    expect(message).not.toMatch(/cannot reach/);
    expect(message).not.toContain('TopSecret42');
    expect(message).not.toContain('\n');
  });

  it('takes a broken or timed-out connection as an unknown outcome', () => {
    for (const e of [
      new mongoose.mongo.MongoNetworkError('connection 3 to db.example:27017 closed'),
      new mongoose.mongo.MongoNetworkTimeoutError('connection 3 to db.example:27017 timed out'),
      new mongoose.mongo.MongoServerError({ ok: 0, code: 11602, codeName: 'InterruptedDueToReplStateChange', errmsg: 'operation was interrupted' }),
      new mongoose.mongo.MongoServerError({ ok: 0, code: 189, errmsg: 'primary stepped down', errorLabels: ['RetryableWriteError'] }),
    ]) {
      const err = map(e);
      expect(err).toBeInstanceOf(StorageError);
      expect(err).not.toBeInstanceOf(AuthenticationError);
      expect(err).toMatchObject({ transient: true, unknownOutcome: true });
      expect((err as Error).message).toMatch(/^MongoDB at mongodb:\/\/alice:\*\*\*@db\.example:27017\/queuectl: /);
    }
  });

  it('takes other server errors as transient with a known outcome, and leaves the engine’s own errors alone', () => {
    const err = map(new mongoose.mongo.MongoServerError({ ok: 0, code: 2, errmsg: 'bad value TopSecret42' }));
    expect(err).toMatchObject({ transient: true, unknownOutcome: false });
    expect((err as Error).message).not.toContain('TopSecret42');
    const own = new StorageError('mine');
    expect(map(own)).toBe(own);
  });

  it('reports a server that refuses the login, at open, as refused rather than unreachable', async (ctx) => {
    if (!MONGO_URI) return ctx.skip();
    const uri = withDatabase(MONGO_URI, 'queuectl_auth').replace('mongodb://', 'mongodb://alice:TopSecret42@');
    const err = await openMongoBackend(uri, { connectTimeoutMs: 5000 }).then(
      async (b) => {
        await b.close();
        return null;
      },
      (e: unknown) => e,
    );
    if (err === null) {
      // A server without access control lets anyone in: there is nothing to refuse.
      console.warn('MongoDB authentication case SKIPPED: the server accepted any credentials (no access control).');
      return ctx.skip();
    }
    const message = (err as Error).message;
    expect(message).not.toContain('TopSecret42');
    expect(message).not.toMatch(/cannot reach/);
    expect(message).not.toContain('\n');
    if (!(err instanceof AuthenticationError)) {
      // mongo-java-server has no authentication at all: it answers the login with "no such command: 'saslStart'".
      expect(message).toMatch(/refused the connection: .*saslStart/);
      console.warn('MongoDB authentication case SKIPPED: this server does not implement authentication (no saslStart); the mapping is covered above.');
      return ctx.skip();
    }
    expect(err).toMatchObject({ transient: false });
    expect(message).toContain('refused the credentials');
  });
});

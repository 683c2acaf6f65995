/** URI parsing and masking, and a server that is not there: no server needed. */
import { describe, expect, it } from 'vitest';
import { openMongoBackend } from '../../src/engine/backends/mongo/mongo-backend.js';
import { databaseOf, makeScrubber, maskUri, parseMongoUri } from '../../src/engine/backends/mongo/uri.js';
import { StorageError, ValidationError } from '../../src/engine/errors.js';
import { freePort } from './helpers.js';

describe('MongoDB URIs', () => {
  it('splits user, password, hosts, database and options', () => {
    expect(parseMongoUri('mongodb://ann:pa%40ss@h1:27017,h2:27018/jobs?replicaSet=rs0&authSource=admin')).toEqual({
      scheme: 'mongodb://',
      username: 'ann',
      password: 'pa%40ss',
      hosts: 'h1:27017,h2:27018',
      database: 'jobs',
      query: 'replicaSet=rs0&authSource=admin',
    });
    expect(parseMongoUri('mongodb+srv://cluster0.example.net')).toMatchObject({ scheme: 'mongodb+srv://', username: null, password: null, database: '' });
    expect(parseMongoUri('/var/lib/queue.db')).toBeNull();
  });

  it('masks the password and secret options, and keeps the rest', () => {
    expect(maskUri('mongodb://user:hunter2@db.example:27017/queuectl')).toBe('mongodb://user:***@db.example:27017/queuectl');
    expect(maskUri('mongodb+srv://user:hunter2@cluster0.example.net/q?retryWrites=true&w=majority')).toBe(
      'mongodb+srv://user:***@cluster0.example.net/q?retryWrites=true&w=majority',
    );
    expect(maskUri('mongodb://127.0.0.1:27017/q')).toBe('mongodb://127.0.0.1:27017/q');
    expect(maskUri('mongodb://onlyuser@h/q')).toBe('mongodb://onlyuser@h/q');
    expect(maskUri('mongodb://h/?tls=true&tlsCertificateKeyFilePassword=abc')).toBe('mongodb://h/?tls=true&tlsCertificateKeyFilePassword=***');
    // A password with unescaped '@' and '/' is still taken as the password, never printed as a host.
    const odd = maskUri('mongodb://user:p@ss/w0rd@h:1/q');
    expect(odd).toBe('mongodb://user:***@h:1/q');
    expect(odd).not.toContain('w0rd');
  });

  it('names the database, or none', () => {
    expect(databaseOf('mongodb://h:1/queuectl?x=1')).toBe('queuectl');
    expect(databaseOf('mongodb://h:1/')).toBeNull();
    expect(databaseOf('mongodb://h:1')).toBeNull();
  });

  it('scrubs every spelling of the secrets from text', () => {
    const uri = 'mongodb://user:s%3Dcret!@h:1/q';
    const scrub = makeScrubber(uri);
    expect(scrub(`failed ${uri}; auth s=cret! and s%3Dcret!`)).toBe('failed mongodb://user:***@h:1/q; auth *** and ***');
  });
});

describe('an unreachable MongoDB', () => {
  it('fails within a few seconds with one line that masks the password', async () => {
    const port = await freePort(); // nothing listens there
    const uri = `mongodb://alice:TopSecret42@127.0.0.1:${port}/queuectl`;
    const started = Date.now();
    const err = await openMongoBackend(uri, { connectTimeoutMs: 1500 }).then(
      () => null,
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(StorageError);
    const message = (err as Error).message;
    expect(message).toContain(`cannot reach MongoDB at mongodb://alice:***@127.0.0.1:${port}/queuectl`);
    expect(message).not.toContain('TopSecret42');
    expect(message).not.toContain('\n');
    expect((err as StorageError).exitCode).toBe(1);
    // Bounded by the connect timeout, not the driver's default of 30 s.
    expect(took).toBeLessThan(10_000);
  });

  it('calls a malformed URI bad input', async () => {
    const err = await openMongoBackend('mongodb://alice:TopSecret42@127.0.0.1:1/q?noSuchOption=1', { connectTimeoutMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/^invalid MongoDB URI mongodb:\/\/alice:\*\*\*@127\.0\.0\.1:1\/q/);
    expect((err as Error).message).not.toContain('TopSecret42');
  });
});

import type mongoose from 'mongoose';
import type { Connection, Model } from 'mongoose';
import { DuplicateJobError } from '../../errors.js';
import { errorCode, transactionsUnsupported } from './rows.js';
import type { JobDoc } from './schema.js';

/** Whether the server runs multi-document transactions: unknown until the first bulk insert. */
export interface TransactionSupport {
  known?: boolean;
}

/**
 * Inserts jobs all or none. A transaction where the server has them (replica sets, sharded
 * clusters). Elsewhere an ordered insert stops at the first clash and the jobs it had already
 * written are deleted: all or none, except that a worker could claim one of them in the instant
 * between (the caller has already looked for clashes before writing, so this takes a concurrent
 * insert of the same id).
 */
export async function insertAllOrNone(conn: Connection, Job: Model<JobDoc>, docs: JobDoc[], txn: TransactionSupport): Promise<void> {
  const dup = (e: unknown) => {
    const w = (e as { writeErrors?: { index: number }[] | { index: number } }).writeErrors;
    const index = Array.isArray(w) ? w[0]?.index : w?.index;
    return new DuplicateJobError(docs[index ?? 0]?._id ?? docs[0]._id);
  };
  const raw = docs as unknown as mongoose.mongo.Document[];
  if (docs.length > 1 && txn.known !== false) {
    let session: mongoose.mongo.ClientSession | undefined;
    try {
      session = await conn.startSession();
      const s = session;
      await s.withTransaction(() => Job.collection.insertMany(raw, { session: s, ordered: true }));
      txn.known = true;
      return;
    } catch (e) {
      if (errorCode(e) === 11000) throw dup(e);
      if (txn.known === true || !transactionsUnsupported(e)) throw e;
      txn.known = false;
    } finally {
      await session?.endSession().catch(() => {});
    }
  }
  try {
    await Job.collection.insertMany(raw, { ordered: true });
  } catch (e) {
    if (errorCode(e) !== 11000) throw e;
    const err = dup(e);
    const upto = docs.findIndex((d) => d._id === err.jobId);
    const written = docs.slice(0, Math.max(0, upto)).map((d) => d._id);
    if (written.length > 0) await Job.deleteMany({ _id: { $in: written }, state: { $in: ['pending', 'waiting'] }, attempts: 0 });
    throw err;
  }
}

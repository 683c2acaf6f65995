/**
 * The worker's side of `queuectl-launcher` (native/launcher.c): a small process that starts the
 * worker's commands with posix_spawn and forwards their output and exit status.
 *
 * Why: Node's child_process.spawn forks the whole worker (50 MB and more) for every job; the
 * fork, and the copy-on-write faults the worker then takes on every page it writes (its heap,
 * SQLite's page cache), were nearly half of what a worker spent per short job (2.37 against 1.33
 * ms of CPU per job, launcher included; 300 against 3 page faults). The launcher is built with
 * queuectl (`npm run build`, when a C compiler is there) and used when it answers; otherwise, or
 * with QUEUECTL_LAUNCHER=off, commands are spawned by Node as before. Both ways behave alike (the
 * exec tests run both): `/bin/sh -c`, a session of its own, stdin on /dev/null, output read.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { packageRoot } from '../package-root.js';

export const LAUNCHER_PROTOCOL = 'queuectl-launcher 1';
/** How long a new launcher has to say hello before the worker spawns with Node instead. */
const HELLO_TIMEOUT_MS = 5000;

/** What one command reports, in this order: started or failed; output and exited (any order), then ended. */
export interface LaunchEvents {
  /** `start`: when the process started (clock ticks since boot, as /proc gives it), null if unknown. */
  started(pid: number, start: number | null): void;
  failed(error: NodeJS.ErrnoException): void;
  output(chunk: Buffer): void;
  exited(code: number | null, signal: NodeJS.Signals | null): void;
  /** Output over: end of file on its pipe. */
  ended(): void;
  /** The launcher itself is gone: nothing more will come for this command. */
  lost(why: string): void;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);
const ERRNO_NAMES = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

export class Launcher {
  private nextId = 1;
  /** Commands whose exit or end of output is still to come. */
  private readonly running = new Map<number, { events: LaunchEvents; exited: boolean; ended: boolean }>();
  private buffered: Buffer = Buffer.alloc(0);
  private gone: string | null = null;

  private constructor(
    private readonly child: ChildProcess,
    private readonly input: Writable,
    private readonly out: Readable,
    private readonly onGone: (why: string) => void,
  ) {}

  /** The launcher's path in this install (it may not have been built). */
  static path(): string {
    return join(packageRoot(), 'dist', 'queuectl-launcher');
  }

  /**
   * Starts a launcher and waits for its hello. Resolves with why not (a string) when there is
   * none, or it does not answer as expected: the caller spawns with Node then. `onGone` is told if
   * the launcher dies later.
   */
  static open(onGone: (why: string) => void, at?: string): Promise<Launcher | string> {
    let path: string;
    try {
      path = at ?? Launcher.path();
    } catch (e) {
      return Promise.resolve(`cannot tell where the launcher is: ${(e as Error).message}`);
    }
    if (!existsSync(path)) return Promise.resolve(`${path} is not built (npm run build makes it where a C compiler is installed)`);
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
      } catch (e) {
        resolve(`could not start ${path}: ${(e as Error).message}`);
        return;
      }
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve(why);
      };
      const timer = setTimeout(() => fail(`${path} did not answer within ${HELLO_TIMEOUT_MS / 1000}s`), HELLO_TIMEOUT_MS);
      child.on('error', (e) => fail(`could not start ${path}: ${e.message}`));
      child.stdin!.on('error', () => {}); // a launcher that died: seen by 'exit'
      const launcher = new Launcher(child, child.stdin!, child.stdout!, onGone);
      launcher.onHello = (protocol) => {
        if (settled) return;
        if (protocol !== LAUNCHER_PROTOCOL) {
          fail(`${path} speaks "${protocol}", not "${LAUNCHER_PROTOCOL}" (rebuild with npm run build)`);
          return;
        }
        settled = true;
        clearTimeout(timer);
        launcher.idle();
        resolve(launcher);
      };
      child.stdout!.on('data', (chunk: Buffer) => launcher.read(chunk));
      child.on('exit', (code, signal) => {
        const why = `the launcher exited (${signal ?? `code ${code}`})`;
        if (!settled) fail(why);
        else launcher.lose(why);
      });
    });
  }

  /** The launcher's own pid. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Whether the launcher can still start commands. */
  get alive(): boolean {
    return this.gone === null;
  }

  /**
   * Starts `/bin/sh -c command` with `env` plus `envAdd`; returns the id to stop reading its
   * output with.
   */
  launch(command: string, cwd: string, env: NodeJS.ProcessEnv, envAdd: Record<string, string> | undefined, events: LaunchEvents): number {
    const id = this.nextId++;
    if (this.gone !== null) {
      const why = this.gone;
      queueMicrotask(() => events.lost(why));
      return id;
    }
    const base = this.encoded(env);
    const added = encodeEnv(envAdd ?? {});
    // A worker's own environment never holds the variables it adds (job-env.ts). Were it to, the
    // two are merged here, so the added value wins, as it does with Node's spawn.
    let replaces = false;
    for (const name of added.names) if (base.names.has(name)) replaces = true;
    const all = replaces ? encodeEnv({ ...env, ...envAdd }) : { text: base.text + added.text, nul: base.nul || added.nul };
    // A NUL inside a part would cut it short: refused, as Node's spawn refuses it.
    if (all.nul || cwd.includes('\0') || command.includes('\0')) {
      const e = new Error('the command, its directory or its environment contains a NUL byte') as NodeJS.ErrnoException;
      e.code = 'ERR_INVALID_ARG_VALUE';
      queueMicrotask(() => events.failed(e));
      return id;
    }
    // Each part NUL-ended, then one NUL more.
    const body = `${cwd}\0${command}\0${all.text}\0`;
    const size = Buffer.byteLength(body);
    const frame = Buffer.allocUnsafe(9 + size);
    frame.writeUInt32LE(5 + size, 0);
    frame[4] = 0x52; // 'R'
    frame.writeUInt32LE(id, 5);
    frame.write(body, 9);
    if (this.running.size === 0) this.busy();
    this.running.set(id, { events, exited: false, ended: false });
    this.input.write(frame);
    return id;
  }

  /** The last environment encoded, and its encoding: a worker passes the same one for every job. */
  private lastEnv: ({ env: NodeJS.ProcessEnv } & EncodedEnv) | null = null;

  private encoded(env: NodeJS.ProcessEnv): EncodedEnv {
    if (this.lastEnv?.env !== env) this.lastEnv = { env, ...encodeEnv(env) };
    return this.lastEnv;
  }

  /**
   * Stops reading a command's output (what it left behind may hold the pipe forever), once it
   * has exited; it is then forgotten.
   */
  stopReading(id: number): void {
    if (!this.running.delete(id) || this.gone !== null) return;
    const frame = Buffer.allocUnsafe(9);
    frame.writeUInt32LE(5, 0);
    frame[4] = 0x43; // 'C'
    frame.writeUInt32LE(id, 5);
    this.input.write(frame);
    if (this.running.size === 0) this.idle();
  }

  /** Ends the launcher (commands still running carry on). */
  close(): void {
    this.gone ??= 'closed';
    this.input.end();
    this.idle();
  }

  private onHello: (protocol: string) => void = () => {};

  private read(chunk: Buffer): void {
    const buf = this.buffered.length > 0 ? Buffer.concat([this.buffered, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 9) {
      const len = buf.readUInt32LE(at);
      if (buf.length - at - 4 < len) break;
      const type = buf[at + 4];
      const id = buf.readUInt32LE(at + 5);
      const payload = buf.subarray(at + 9, at + 4 + len);
      at += 4 + len;
      if (type === 0x48 /* H */) {
        this.onHello(payload.toString());
        continue;
      }
      const command = this.running.get(id);
      if (!command) continue; // a command no longer read
      const events = command.events;
      switch (type) {
        case 0x53: // S
          events.started(payload.readInt32LE(0), payload.length > 4 ? Number(payload.toString('latin1', 4)) : null);
          break;
        case 0x45: // E
          this.finished(id);
          events.failed(errnoError(payload.readInt32LE(0)));
          break;
        case 0x4f: // O
          // A copy: the frame's buffer is reused for what follows.
          events.output(Buffer.from(payload));
          break;
        case 0x58: // X
          command.exited = true;
          if (command.ended) this.finished(id);
          events.exited(...decodeStatus(payload.readInt32LE(0)));
          break;
        case 0x5a: // Z
          command.ended = true;
          if (command.exited) this.finished(id);
          events.ended();
          break;
      }
    }
    this.buffered = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
  }

  private finished(id: number): void {
    this.running.delete(id);
    if (this.running.size === 0) this.idle();
  }

  private lose(why: string): void {
    if (this.gone !== null && this.gone !== 'closed') return;
    const wasClosed = this.gone === 'closed';
    this.gone = why;
    const lost = [...this.running.values()].map((c) => c.events);
    this.running.clear();
    this.idle();
    if (!wasClosed) this.onGone(why);
    for (const events of lost) events.lost(why);
  }

  /** While no command runs, the launcher does not keep the worker's process alive. */
  private idle(): void {
    this.child.unref();
    unrefStream(this.input);
    unrefStream(this.out);
  }

  private busy(): void {
    this.child.ref();
    refStream(this.input);
    refStream(this.out);
  }
}

interface EncodedEnv {
  /** `NAME=value` entries, each NUL-ended. */
  text: string;
  names: Set<string>;
  /** Whether a name or a value holds a NUL byte. */
  nul: boolean;
}

function encodeEnv(env: NodeJS.ProcessEnv): EncodedEnv {
  let text = '';
  let nul = false;
  const names = new Set<string>();
  for (const name in env) {
    const value = env[name];
    if (value === undefined) continue;
    if (name.includes('\0') || value.includes('\0')) nul = true;
    text += `${name}=${value}\0`;
    names.add(name);
  }
  return { text, names, nul };
}

type Handle = { _handle?: { ref?: () => void; unref?: () => void } };
const unrefStream = (s: unknown) => (s as Handle)._handle?.unref?.();
const refStream = (s: unknown) => (s as Handle)._handle?.ref?.();

function decodeStatus(status: number): [number | null, NodeJS.Signals | null] {
  const signal = status & 0x7f;
  if (signal === 0) return [(status >> 8) & 0xff, null];
  return [null, SIGNAL_NAMES.get(signal) ?? (`SIG${signal}` as NodeJS.Signals)];
}

/** An error like the one Node's spawn gives for the same errno. */
function errnoError(errno: number): NodeJS.ErrnoException {
  const code = ERRNO_NAMES.get(errno) ?? `E${errno}`;
  const e = new Error(`spawn /bin/sh ${code}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = -errno;
  e.syscall = 'spawn /bin/sh';
  return e;
}

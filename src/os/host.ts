/**
 * What this process can know about processes around it, on Linux through /proc. Host identity is
 * not the hostname: two containers may share a hostname (host networking) yet not see each
 * other's processes. Processes see each other exactly when they share a kernel boot and a PID
 * namespace, so the host id is derived from those two. Every pid read from the database is
 * checked against the process start time recorded with it, so a reused pid is never mistaken for
 * the process that held it.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { HostProbe } from '../engine/recovery.js';
import { attemptEnv } from '../engine/attempt-env.js';

let cachedHostId: string | undefined;

/**
 * This host's id: equal for two processes exactly when they can see and signal each other's pids.
 * Where /proc cannot tell (not Linux), a random id per process: nothing is then judged by pid.
 */
export function hostId(): string {
  if (cachedHostId) return cachedHostId;
  // node:crypto is loaded here, on first use, not with the module: loading it costs every command
  // about 3 ms of start-up, and most never ask for the host id.
  const { createHash, randomBytes } = process.getBuiltinModule('node:crypto');
  let basis: string;
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNs = readlinkSync('/proc/self/ns/pid');
    basis = `${boot}|${pidNs}`;
  } catch {
    basis = `${hostname()}|${randomBytes(8).toString('hex')}|${process.pid}`;
  }
  cachedHostId = `${createHash('sha256').update(basis).digest('hex').slice(0, 12)}`;
  return cachedHostId;
}

interface ProcStat {
  state: string;
  pgrp: number;
  start: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0], pgrp: Number(rest[2]), start: Number(rest[19]) };
}

/** When a process started (clock ticks since boot), or null when it does not exist or /proc cannot tell. */
export function processStart(pid: number): number | null {
  return readStat(pid)?.start ?? null;
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process on this host: running, frozen (SIGSTOP, a debugger), or gone (a zombie, or its pid reused). */
export function processState(pid: number, start: number | null): 'alive' | 'stopped' | 'gone' {
  if (!Number.isInteger(pid) || pid <= 0 || !exists(pid)) return 'gone';
  const stat = readStat(pid);
  if (!stat) return 'alive'; // no /proc: trust kill(0)
  if (start !== null && stat.start !== start) return 'gone';
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return 'gone';
  if (stat.state === 'T' || stat.state === 't') return 'stopped';
  return 'alive';
}

/** Every pid /proc lists (empty where there is no /proc). */
function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);
  } catch {
    return [];
  }
}

/** The /proc stat of a process that has not exited (not a zombie), or null. */
function liveStat(pid: number): ProcStat | null {
  const s = readStat(pid);
  return s && s.state !== 'Z' && s.state !== 'X' ? s : null;
}

/** Pids of the processes in a process group (through /proc; empty where it cannot tell). */
export function groupMembers(pgid: number): number[] {
  return allPids().filter((pid) => liveStat(pid)?.pgrp === pgid);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone, or not ours to signal
  }
}

/**
 * Ends a command's process group with SIGKILL and waits, up to `waitMs`, until none of it is left.
 * Guarded by the leader's start time: a leader pid now held by another process is not signalled.
 * (A group whose leader exited keeps its id, which no new process can take while the group lives.)
 */
export async function endGroup(pgid: number, start: number | null, waitMs = 5000): Promise<void> {
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  const leader = readStat(pgid);
  if (leader && start !== null && leader.start !== start) return;
  signalGroup(pgid, 'SIGKILL');
  const deadline = Date.now() + waitMs;
  while (groupMembers(pgid).length > 0 && Date.now() < deadline) {
    signalGroup(pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The process groups of the processes that carry one attempt of a job in their environment
 * (`attemptEnv`: QUEUECTL_JOB_ID and QUEUECTL_ATTEMPT, set on every command): how recovery finds
 * the command of a worker lost before it recorded the command's pid. Only processes this user may
 * read are seen; empty where /proc cannot tell.
 */
export function jobCommandGroups(jobId: string, attempt: number): number[] {
  const marks = Object.entries(attemptEnv({ id: jobId, attempts: attempt })).map(([k, v]) => `\0${k}=${v}\0`);
  const own = readStat(process.pid)?.pgrp;
  const groups = new Set<number>();
  for (const pid of allPids()) {
    let env: string;
    try {
      env = `\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`;
    } catch {
      continue; // gone, or another user's
    }
    if (!marks.every((m) => env.includes(m))) continue;
    const s = liveStat(pid);
    if (s && s.pgrp > 1 && s.pgrp !== own) groups.add(s.pgrp);
  }
  return [...groups];
}

/** The probe recovery uses on this host. */
export function localProbe(): HostProbe {
  return {
    hostId: hostId(),
    workerState: (pid, start) => processState(pid, start),
    endCommand: (pgid, start) => endGroup(pgid, start),
    // The groups were read from live members just now: their ids are current, no start to check.
    endJobCommand: async (jobId, attempt) => {
      await Promise.all(jobCommandGroups(jobId, attempt).map((g) => endGroup(g, null)));
    },
  };
}

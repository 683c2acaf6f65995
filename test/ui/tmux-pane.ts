import { execFileSync, spawnSync } from 'node:child_process';
import { waitFor } from './seed.js';

export const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/**
 * One tmux server of its own (a private socket, no config) running commands in detached panes:
 * send-keys drives them, capture-pane reads them, with their styles when asked.
 */
export class TmuxServer {
  readonly socket: string;

  constructor(name: string) {
    this.socket = `queuectl-${name}-${process.pid}`;
  }

  run(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /**
   * A new detached pane running `argv` under exactly `env` (plus PATH and HOME): no variable of the
   * test process, CI included, reaches it unless listed.
   */
  pane(name: string, argv: readonly string[], env: Record<string, string>, size = { columns: 120, rows: 35 }): TmuxPane {
    const vars = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env };
    const cmd = ['env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), ...argv].map(shq).join(' ');
    this.run('new-session', '-d', '-s', name, '-x', String(size.columns), '-y', String(size.rows), cmd);
    return new TmuxPane(this, name);
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
  }
}

function shq(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export class TmuxPane {
  constructor(
    private readonly server: TmuxServer,
    readonly name: string,
  ) {}

  /** The screen as text. */
  text(): string {
    return this.server.run('capture-pane', '-p', '-t', this.name);
  }

  /** The screen with its styles, as SGR escape sequences (`capture-pane -e`). */
  styled(): string {
    return this.server.run('capture-pane', '-e', '-p', '-t', this.name);
  }

  /** Key names as tmux spells them (`Enter`, `Escape`, `j`). */
  keys(...k: string[]): void {
    this.server.run('send-keys', '-t', this.name, ...k);
  }

  /** A whole string written to the terminal at once, as a paste or fast typing delivers it. */
  literal(text: string): void {
    this.server.run('send-keys', '-t', this.name, '-l', text);
  }

  async waitFor(test: (text: string, styled: string) => boolean, what: string, timeoutMs = 15_000): Promise<{ text: string; styled: string }> {
    let last = { text: '', styled: '' };
    try {
      return await waitFor(() => {
        last = { text: this.text(), styled: this.styled() };
        return test(last.text, last.styled) ? last : null;
      }, what, timeoutMs, 50);
    } catch {
      throw new Error(`timed out waiting for ${what}; screen:\n${last.text}`);
    }
  }
}

/** What SGR codes set along one line: the graphic state at each visible character. */
export interface Cell {
  ch: string;
  inverse: boolean;
  /** A foreground or background colour is set. */
  color: boolean;
}

/** Splits a captured line into visible characters with the inverse and colour state each is drawn in. */
export function cells(line: string): Cell[] {
  const out: Cell[] = [];
  let inverse = false;
  let fg = false;
  let bg = false;
  // eslint-disable-next-line no-control-regex
  const re = /\x1b\[([0-9;:]*)m|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[^[\]]|([^\x1b])/gu;
  for (const m of line.matchAll(re)) {
    if (m[2] !== undefined) {
      out.push({ ch: m[2], inverse, color: fg || bg });
      continue;
    }
    if (m[1] === undefined) continue;
    const ps = m[1] === '' ? [0] : m[1].split(/[;:]/).map(Number);
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (p === 0) inverse = fg = bg = false;
      else if (p === 7) inverse = true;
      else if (p === 27) inverse = false;
      else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) fg = true;
      else if (p === 39) fg = false;
      else if ((p >= 40 && p <= 47) || (p >= 100 && p <= 107)) bg = true;
      else if (p === 49) bg = false;
      else if (p === 38 || p === 48) {
        if (p === 38) fg = true;
        else bg = true;
        i += ps[i + 1] === 5 ? 2 : ps[i + 1] === 2 ? 4 : 0;
      }
    }
  }
  return out;
}

/** The captured line whose text (styles removed) contains `needle` within its first `within` characters. */
export function styledLine(styled: string, needle: string, within = 40): string | undefined {
  return styled.split('\n').find((l) => {
    const chars = cells(l).map((c) => c.ch);
    const n = [...needle].length;
    const at = chars.findIndex((_, i) => chars.slice(i, i + n).join('') === needle);
    return at >= 0 && at < within;
  });
}

/** Whether the characters of `needle` on its line are drawn in inverse video. */
export function isInverse(styled: string, needle: string): boolean {
  const line = styledLine(styled, needle);
  if (line === undefined) return false;
  const cs = cells(line);
  const n = [...needle].length;
  const at = cs.findIndex((_, i) => cs.slice(i, i + n).map((c) => c.ch).join('') === needle);
  return at >= 0 && cs.slice(at, at + n).every((c) => c.inverse);
}

/** Whether any character of the screen is drawn in a colour. */
export function hasColor(styled: string): boolean {
  return styled.split('\n').some((l) => cells(l).some((c) => c.color && c.ch.trim() !== ''));
}

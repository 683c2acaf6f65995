import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OutputTail } from '../../src/worker/output-tail.js';

describe('OutputTail', () => {
  it('keeps everything below the limit', () => {
    const t = new OutputTail(100);
    t.push(Buffer.from('hello '));
    t.push(Buffer.from('world'));
    expect(t.text()).toBe('hello world');
    expect(t.total).toBe(11);
  });

  it('holds nothing for a command that printed nothing, and starts holding at the first byte', () => {
    const t = new OutputTail(65_536);
    expect(t.text()).toBe('');
    expect(t.bytes().length).toBe(0);
    t.push(Buffer.alloc(0));
    expect(t.total).toBe(0);
    t.push(Buffer.from('x'));
    t.push(Buffer.from('y'.repeat(5000)));
    expect(t.text()).toBe(`x${'y'.repeat(5000)}`);
    expect(t.total).toBe(5001);
  });

  it('keeps exactly the last `limit` bytes, whatever the chunking', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (const limit of [1, 5, 64, 1000, 40_000]) {
      const t = new OutputTail(limit);
      const all: Buffer[] = [];
      for (let i = 0; i < 300; i++) {
        const len = rand(3) === 0 ? rand(limit * 2 + 3) : rand(50);
        const chunk = Buffer.alloc(len);
        for (let j = 0; j < len; j++) chunk[j] = 97 + rand(26);
        all.push(chunk);
        t.push(chunk);
        const whole = Buffer.concat(all);
        expect(t.total).toBe(whole.length);
        expect(t.bytes().equals(whole.subarray(Math.max(0, whole.length - limit)))).toBe(true);
      }
    }
  });

  it('keeps nothing with a limit of 0 but still counts', () => {
    const t = new OutputTail(0);
    t.push(Buffer.from('abc'));
    expect(t.text()).toBe('');
    expect(t.total).toBe(3);
  });

  it('drops a character cut in half at the start of the tail', () => {
    const t = new OutputTail(4);
    t.push(Buffer.from('aé€')); // 1 + 2 + 3 bytes: the tail starts inside "é"
    expect(t.text()).toBe('€');
    t.push(Buffer.from('z'));
    expect(t.text()).toBe('€z');
  });

  it('stays within the limit in bytes for binary output, whose bad bytes decode to wider characters', () => {
    const t = new OutputTail(65_536);
    t.push(randomBytes(1024 * 1024));
    const text = t.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(65_536);
    expect(Buffer.byteLength(text)).toBeGreaterThan(60_000);
    expect(t.total).toBe(1024 * 1024);
  });
});

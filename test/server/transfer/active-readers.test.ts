/**
 * How the data plane reads chunk files: around the page cache for a lone deploy, through it while
 * several deploys read the store (they share chunks, and the cache then reads each once).
 */
import { describe, expect, it } from 'vitest';
import { ActiveReaders } from '../../../server/src/transfer/active-readers.ts';

function clocked(windowMs: number) {
  let now = 0;
  const readers = new ActiveReaders(windowMs, () => now);
  return { readers, advance: (ms: number) => (now += ms) };
}

describe('active chunk readers', () => {
  it('Given one deploy, when it reads block after block, then it reads alone', () => {
    const { readers, advance } = clocked(10_000);
    for (let i = 0; i < 5; i++) {
      expect(readers.readAlone('task-a')).toBe(true);
      advance(3_000);
    }
  });

  it('Given two deploys reading within the window, then neither reads alone until the other has been quiet for longer than the window', () => {
    const { readers, advance } = clocked(10_000);
    expect(readers.readAlone('task-a')).toBe(true);
    advance(1_000);
    expect(readers.readAlone('task-b')).toBe(false);
    expect(readers.readAlone('task-a')).toBe(false);
    // task-b stops (a client killed mid-deploy: no end reported yet).
    advance(10_000);
    expect(readers.readAlone('task-a')).toBe(false);
    advance(1);
    expect(readers.readAlone('task-a')).toBe(true);
  });

  it('Given two deploys, when one task ends, then the other reads alone at once', () => {
    const { readers } = clocked(10_000);
    readers.readAlone('task-a');
    expect(readers.readAlone('task-b')).toBe(false);
    readers.forget('task-a');
    expect(readers.readAlone('task-b')).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { groupBlocks } from '../../../../server/src/imaging/pipeline/deploy-groups.ts';

const MiB = 1024 * 1024;
const block = (offset: number, length = MiB) => ({
  offset,
  length,
  hash: 'a'.repeat(64),
  storedSize: 1,
  partition: 2,
});

describe('deploy target reads in groups', () => {
  it('Given blocks that touch on disk, then they share one read up to the size limit, and a gap starts a new read', () => {
    const blocks = [0, 1, 2, 3, 4, 10, 11].map((m) => block(m * MiB));
    const groups = groupBlocks(blocks, [0, 1, 2, 3, 4, 5, 6], 3 * MiB);
    expect(groups).toEqual([
      { indices: [0, 1, 2], offset: 0, length: 3 * MiB },
      { indices: [3, 4], offset: 3 * MiB, length: 2 * MiB },
      { indices: [5, 6], offset: 10 * MiB, length: 2 * MiB },
    ]);
  });

  it('Given blocks left out (already done), then the groups cover exactly the others, each block once', () => {
    const blocks = Array.from({ length: 9 }, (_, i) => block(i * MiB, i === 4 ? MiB / 2 : MiB));
    const todo = [0, 1, 3, 4, 5, 8];
    const groups = groupBlocks(blocks, todo, 8 * MiB);
    expect(groups.flatMap((g) => g.indices)).toEqual(todo);
    for (const g of groups) {
      const first = blocks[g.indices[0] as number];
      expect(g.offset).toBe(first?.offset);
      expect(g.length).toBe(g.indices.reduce((s, i) => s + (blocks[i]?.length ?? 0), 0));
    }
    // Block 4 is half a MiB long, so block 5 does not touch it: it starts a new read.
    expect(groups.map((g) => g.indices)).toEqual([[0, 1], [3, 4], [5], [8]]);
  });
});

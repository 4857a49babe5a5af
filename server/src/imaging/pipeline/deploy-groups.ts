/**
 * The deploy's target check in large reads: consecutive blocks that touch on the disk are read
 * with one read of up to GROUP_BYTES, their hashes are computed on both workers at once, and only
 * the blocks that differ are fetched, decoded and delta-written. On a redeploy (the target already
 * holds the image) reading and hashing the target is the whole cost: 8 MiB sequential reads, three
 * in flight, keep the disk streaming while the workers hash the previous ones.
 */
import type { DiskWriter } from '../layout-types.ts';
import type { Manifest } from '../manifest/manifest-schema.ts';
import { boundedRun } from './bounded-run.ts';
import { allocCompressedSlot, allocSlot, type Slot } from './chunk-codec-pool.ts';
import {
  type DeployBlockContext,
  type DeployBlockResult,
  decodeInto,
  fetchCompressed,
  slotHolds,
  writeDelta,
} from './deploy-block.ts';

type Block = Manifest['blocks'][number];

/** Largest single target read. */
export const GROUP_BYTES = 8 * 1024 * 1024;
/** Blocks of one group decoded and written at once. */
export const LANES_PER_GROUP = 2;

export interface BlockGroup {
  /** Manifest indices, ascending, of blocks that follow each other on the disk. */
  readonly indices: readonly number[];
  readonly offset: number;
  readonly length: number;
}

/** Groups the given block indices (ascending) into runs that touch on disk, each ≤ maxBytes. */
export function groupBlocks(blocks: readonly Block[], indices: readonly number[], maxBytes: number) {
  const groups: BlockGroup[] = [];
  let cur: { indices: number[]; offset: number; length: number } | null = null;
  for (const i of indices) {
    const b = blocks[i] as Block;
    const touches = cur !== null && cur.offset + cur.length === b.offset;
    if (cur !== null && touches && cur.length + b.length <= maxBytes) {
      cur.indices.push(i);
      cur.length += b.length;
      continue;
    }
    if (cur !== null) groups.push(cur);
    cur = { indices: [i], offset: b.offset, length: b.length };
  }
  if (cur !== null) groups.push(cur);
  return groups;
}

/** Buffers of one group runner: the group's target bytes and a data/compressed pair per lane. */
export interface GroupSlots {
  readonly target: Slot;
  readonly lanes: readonly { readonly data: Slot; readonly compressed: Slot }[];
  /** The group's chunks fetched in one exchange (a source with getManyCompressedInto), made on first use. */
  batch?: Slot;
}

/**
 * The target slot is read from `disk` and the lanes' data slots are written to it: all aligned for
 * its direct I/O (a redeploy's cold read of the target runs at 3-4 GB/s direct with several
 * reads in flight, against 2 GB/s through the page cache).
 */
export function allocGroupSlots(groupBytes: number, blockSize: number, disk?: DiskWriter): GroupSlots {
  return {
    target: allocSlot(groupBytes, disk),
    lanes: Array.from({ length: LANES_PER_GROUP }, () => ({
      data: allocSlot(blockSize, disk),
      compressed: allocCompressedSlot(blockSize),
    })),
  };
}

/** A window of `slot` (the digest and the delta write honour the view's offset). */
function window(slot: Slot, at: number, length: number): Slot {
  return { buffer: slot.buffer, bytes: slot.bytes.subarray(at, at + length) };
}

/**
 * Deploys one group: one read, every block checked, the differing ones written (each verified
 * before its write, so a corrupt chunk stops the deploy with nothing of it on the disk).
 */
export async function deployGroup(
  ctx: DeployBlockContext,
  blocks: readonly Block[],
  group: BlockGroup,
  slots: GroupSlots,
  onBlock: (index: number, result: DeployBlockResult) => void,
): Promise<void> {
  await ctx.disk.readAt(slots.target.bytes, group.offset, group.length);
  const views = group.indices.map((i) => {
    const b = blocks[i] as Block;
    return window(slots.target, b.offset - group.offset, b.length);
  });
  const holds = await Promise.all(
    group.indices.map((i, k) => slotHolds(blocks[i] as Block, views[k] as Slot, ctx.codec)),
  );
  const differ: number[] = [];
  group.indices.forEach((index, k) => {
    const b = blocks[index] as Block;
    if (holds[k]) onBlock(index, { state: 'skipped', bytesRead: b.length, bytesFetched: 0, bytesWritten: 0 });
    else differ.push(k);
  });
  const fetched = await fetchBatch(
    ctx,
    differ.map((k) => (blocks[group.indices[k] as number] as Block).hash),
    slots,
  );
  await boundedRun(differ.length, slots.lanes.length, async (n, lane) => {
    const k = differ[n] as number;
    const index = group.indices[k] as number;
    const ref = blocks[index] as Block;
    const { data, compressed: into } = slots.lanes[lane] as GroupSlots['lanes'][number];
    const compressed = fetched?.[n] ?? (await fetchCompressed(ctx.source, ref.hash, into));
    await decodeInto(index, ref, compressed, data, ctx.codec);
    const bytesWritten = await writeDelta(ctx.disk, ref.offset, data, views[k] as Slot, ref.length);
    onBlock(index, {
      state: 'written',
      bytesRead: ref.length,
      bytesFetched: compressed.length,
      bytesWritten,
    });
  });
}

/**
 * The chunks of a group's differing blocks in one exchange, as views of the runner's batch slot,
 * when the source batches and there is more than one; null to fetch them one by one.
 */
async function fetchBatch(
  ctx: DeployBlockContext,
  hashes: readonly string[],
  slots: GroupSlots,
): Promise<Uint8Array[] | null> {
  const many = ctx.source.getManyCompressedInto;
  if (many === undefined || hashes.length < 2) return null;
  // Room for the zstd bound of a whole group read (the target slot's size).
  slots.batch ??= allocCompressedSlot(slots.target.bytes.length);
  const batch = slots.batch.bytes;
  const lengths = await many.call(ctx.source, hashes, batch);
  if (lengths === null) return null;
  if (lengths.length !== hashes.length || lengths.reduce((a, b) => a + b, 0) > batch.length)
    throw new Error('the chunk source returned lengths that do not match the chunks asked for');
  let at = 0;
  return lengths.map((n) => {
    const view = batch.subarray(at, at + n);
    at += n;
    return view;
  });
}

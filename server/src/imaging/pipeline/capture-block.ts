/**
 * Capturing one block: read, zero the unused clusters, hash, and only when the destination lacks
 * the chunk compress and hand it over. Callable with any sink: the local store now, an HTTP upload
 * to the server later.
 */
import { isAllZero, zeroUnused } from '../blocks/block-content.ts';
import type { PlannedBlock } from '../blocks/block-plan.ts';
import type { DiskReader } from '../layout-types.ts';
import type { ChunkWriter, PutResult } from '../store/chunk-store.ts';
import type { ChunkCodec, Slot } from './chunk-codec-pool.ts';

export type ChunkSink = Pick<ChunkWriter, 'keep' | 'putEncoded' | 'sharedBytesOk' | 'alignedBytes'>;

export type CapturedBlock =
  | { readonly state: 'skipped' }
  | { readonly state: 'uploaded' | 'deduplicated'; readonly hash: string; readonly storedSize: number };

export interface CaptureBlockContext {
  readonly disk: DiskReader;
  readonly codec: ChunkCodec;
  readonly sink: ChunkSink;
  readonly level: number;
  /** Chunks of this capture already handled or in flight, so repeats are compressed once. */
  readonly seen?: Map<string, Promise<PutResult>>;
}

/**
 * `out` (an allocCompressedSlot), when given and the sink takes shared bytes (`sharedBytesOk`),
 * receives the compressed frame: no allocation per block. Without it each frame is a new array.
 */
export async function captureBlock(
  ctx: CaptureBlockContext,
  block: Pick<PlannedBlock, 'offset' | 'length' | 'used'> & { readonly fs?: PlannedBlock['fs'] },
  slot: Slot,
  out?: Slot,
): Promise<CapturedBlock> {
  await ctx.disk.readAt(slot.bytes, block.offset, block.length);
  zeroUnused(slot.bytes, block.length, block.used);
  if (block.fs === 'unknown' && isAllZero(slot.bytes, block.length)) return { state: 'skipped' };
  const hash = await ctx.codec.digest(slot, block.length);
  const earlier = ctx.seen?.get(hash);
  if (earlier) return { state: 'deduplicated', hash, storedSize: (await earlier).storedSize };
  const work = storeChunk(ctx, hash, slot, block.length, out);
  ctx.seen?.set(hash, work);
  const result = await work;
  return { state: result.added ? 'uploaded' : 'deduplicated', hash, storedSize: result.storedSize };
}

async function storeChunk(
  ctx: CaptureBlockContext,
  hash: string,
  slot: Slot,
  length: number,
  out?: Slot,
): Promise<PutResult> {
  const kept = await ctx.sink.keep(hash);
  if (kept !== null) return kept;
  if (out !== undefined && ctx.sink.sharedBytesOk === true && ctx.codec.compressInto !== undefined) {
    const n = await ctx.codec.compressInto(slot, length, ctx.level, out);
    return ctx.sink.putEncoded({ hash, compressed: out.bytes.subarray(0, n), size: length });
  }
  const compressed = await ctx.codec.compress(slot, length, ctx.level);
  return ctx.sink.putEncoded({ hash, compressed, size: length });
}

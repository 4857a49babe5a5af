/**
 * Deploying one block: read the target range and skip it when it already holds the block;
 * otherwise fetch the compressed chunk from any source (local store, HTTP, a multicast receive
 * buffer), decode and verify it, and only then write. A corrupt chunk never reaches the disk.
 */
import { isAllZero } from '../blocks/block-content.ts';
import type { DiskReader, DiskWriter } from '../layout-types.ts';
import type { ManifestChunkRef } from '../manifest/manifest-schema.ts';
import { sha256Hex } from '../store/chunk-hash.ts';
import type { ChunkReader } from '../store/chunk-store.ts';
import type { ChunkCodec, Slot } from './chunk-codec-pool.ts';

export type ChunkSource = Pick<ChunkReader, 'getCompressed' | 'getCompressedInto' | 'getManyCompressedInto'>;

/** The compressed chunk: read into `slot` when the source can (no allocation), else fetched. */
export async function fetchCompressed(source: ChunkSource, hash: string, slot?: Slot): Promise<Uint8Array> {
  if (slot !== undefined && source.getCompressedInto !== undefined) {
    const n = await source.getCompressedInto(hash, slot.bytes);
    if (n >= 0) return slot.bytes.subarray(0, n);
  }
  return source.getCompressed(hash);
}

export class BlockMismatchError extends Error {
  readonly code = 'BLOCK_MISMATCH';
  readonly offset: number;
  readonly hash: string;
  constructor(offset: number, hash: string, actual: string) {
    super(`block at offset ${offset} reads back as ${actual}, expected ${hash}`);
    this.offset = offset;
    this.hash = hash;
  }
}

export class BlockDecodeError extends Error {
  readonly code = 'BLOCK_CORRUPT';
  readonly offset: number;
  readonly hash: string;
  readonly index: number;
  constructor(index: number, ref: ManifestChunkRef, cause: Error) {
    super(
      `block ${index} at offset ${ref.offset}: chunk ${ref.hash} failed verification (${cause.message}); nothing written for it`,
    );
    this.index = index;
    this.offset = ref.offset;
    this.hash = ref.hash;
    this.cause = cause;
  }
}

const zeroHashes = new Map<number, string>();

/** sha256 of `length` zero bytes (cached: a blank target is the common case). */
export function zeroHash(length: number): string {
  let hash = zeroHashes.get(length);
  if (hash === undefined) {
    hash = sha256Hex(new Uint8Array(length));
    zeroHashes.set(length, hash);
  }
  return hash;
}

/** True when the target already holds the block's bytes. Leaves the target bytes in the slot. */
export async function targetHolds(disk: DiskReader, ref: ManifestChunkRef, slot: Slot, codec: ChunkCodec) {
  await disk.readAt(slot.bytes, ref.offset, ref.length);
  return slotHolds(ref, slot, codec);
}

/** True when the slot (the target's bytes, already read) holds the block. */
export async function slotHolds(ref: ManifestChunkRef, slot: Slot, codec: ChunkCodec): Promise<boolean> {
  // A blank region holds only the all-zero block: no need to hash it.
  if (isAllZero(slot.bytes, ref.length)) return ref.hash === zeroHash(ref.length);
  return (await codec.digest(slot, ref.length)) === ref.hash;
}

/** Decodes and verifies `compressed` into the slot; BlockDecodeError (naming the block) if bad. */
export async function decodeInto(
  index: number,
  ref: ManifestChunkRef,
  compressed: Uint8Array,
  slot: Slot,
  codec: ChunkCodec,
) {
  let length: number;
  try {
    length = await codec.decode(ref.hash, compressed, slot);
  } catch (error) {
    throw new BlockDecodeError(index, ref, error as Error);
  }
  if (length !== ref.length) {
    throw new BlockDecodeError(index, ref, new Error(`decodes to ${length} bytes, block is ${ref.length}`));
  }
}

/** Decodes and verifies `compressed` into the slot, then writes it whole. Throws before writing if bad. */
export async function writeChunk(
  disk: DiskWriter,
  index: number,
  ref: ManifestChunkRef,
  compressed: Uint8Array,
  slot: Slot,
  codec: ChunkCodec,
): Promise<void> {
  await decodeInto(index, ref, compressed, slot, codec);
  await disk.writeAt(slot.bytes, ref.offset, ref.length);
}

/** Granularity of the delta write: spans that already match the target are not rewritten. */
const SPAN = 64 * 1024;

/**
 * Writes only the spans of `data` that differ from `current` (the target's bytes), coalesced into
 * as few writes as possible; returns the bytes written. A blank target gets only non-zero spans.
 */
export async function writeDelta(
  disk: DiskWriter,
  offset: number,
  data: Slot,
  current: Slot,
  length: number,
) {
  const a = Buffer.from(data.buffer, data.bytes.byteOffset, length);
  const b = Buffer.from(current.buffer, current.bytes.byteOffset, length);
  let written = 0;
  let runStart = -1;
  for (let at = 0; ; at += SPAN) {
    const inRange = at < length;
    const differs =
      inRange && a.compare(b, at, Math.min(at + SPAN, length), at, Math.min(at + SPAN, length)) !== 0;
    if (differs && runStart < 0) runStart = at;
    if (!differs && runStart >= 0) {
      const runEnd = Math.min(at, length);
      await disk.writeAt(data.bytes.subarray(runStart, runEnd), offset + runStart);
      written += runEnd - runStart;
      runStart = -1;
    }
    if (!inRange) break;
  }
  return written;
}

export interface DeployBlockResult {
  readonly state: 'skipped' | 'written';
  readonly bytesRead: number;
  readonly bytesFetched: number;
  readonly bytesWritten: number;
}

export interface DeployBlockContext {
  readonly disk: DiskWriter;
  readonly source: ChunkSource;
  readonly codec: ChunkCodec;
  /** Read the target first, skip matching blocks and write only differing spans (default true). */
  readonly skipMatching?: boolean;
}

/** Two block buffers: the chunk's bytes and the target's current bytes. */
export interface DeploySlots {
  readonly data: Slot;
  readonly target: Slot;
  /** Where a local store reads the compressed chunk (shared with the worker: nothing copied). */
  readonly compressed?: Slot;
}

export async function deployBlock(
  ctx: DeployBlockContext,
  index: number,
  ref: ManifestChunkRef,
  slots: DeploySlots,
): Promise<DeployBlockResult> {
  const check = ctx.skipMatching ?? true;
  if (check && (await targetHolds(ctx.disk, ref, slots.target, ctx.codec))) {
    return { state: 'skipped', bytesRead: ref.length, bytesFetched: 0, bytesWritten: 0 };
  }
  const compressed = await fetchCompressed(ctx.source, ref.hash, slots.compressed);
  if (!check) {
    await writeChunk(ctx.disk, index, ref, compressed, slots.data, ctx.codec);
    return { state: 'written', bytesRead: 0, bytesFetched: compressed.length, bytesWritten: ref.length };
  }
  await decodeInto(index, ref, compressed, slots.data, ctx.codec);
  const bytesWritten = await writeDelta(ctx.disk, ref.offset, slots.data, slots.target, ref.length);
  return { state: 'written', bytesRead: ref.length, bytesFetched: compressed.length, bytesWritten };
}

/** Read-back check of one written block. */
export async function verifyBlock(disk: DiskReader, ref: ManifestChunkRef, slot: Slot, codec: ChunkCodec) {
  await disk.readAt(slot.bytes, ref.offset, ref.length);
  const actual = await codec.digest(slot, ref.length);
  if (actual !== ref.hash) throw new BlockMismatchError(ref.offset, ref.hash, actual);
}

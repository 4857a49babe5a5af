/**
 * The table areas of a deploy: fetched and verified in memory first, the GPT backup moved to the
 * end of a target of another size (the readers' relocateGptBackup), and only then written, so a
 * target that cannot hold the layout is refused before any byte changes.
 */
import type { DiskWriter } from '../layout-types.ts';
import type { Manifest } from '../manifest/manifest-schema.ts';
import { PartitionTableError } from '../partitions/partition-errors.ts';
import { type PreservedBytes, relocateGptBackup } from '../partitions/relocate-gpt.ts';
import { decodeChunk } from '../store/chunk-codec.ts';
import type { ChunkSource } from './deploy-block.ts';

export class TargetTooSmallError extends Error {
  readonly code = 'TARGET_TOO_SMALL';
  readonly required: number;
  readonly actual: number;
  constructor(required: number, actual: number, detail = '') {
    super(`target holds ${actual} bytes; the image needs ${required}${detail ? ` (${detail})` : ''}`);
    this.required = required;
    this.actual = actual;
  }
}

/** Whether the table bytes must be rewritten for this target (GPT on a disk of another size). */
export function gptMoves(manifest: Manifest, targetSize: number): boolean {
  return manifest.disk.table === 'gpt' && targetSize !== manifest.disk.size && manifest.preserved.length > 0;
}

/** Smallest target for the blocks, and for the table areas when they stay where they were. */
export function minimumTargetSize(manifest: Manifest, targetSize: number): number {
  const ranges = gptMoves(manifest, targetSize)
    ? manifest.blocks
    : [...manifest.blocks, ...manifest.preserved];
  return ranges.reduce((m, r) => Math.max(m, r.offset + r.length), 0);
}

export interface PreparedTables {
  readonly pieces: readonly PreservedBytes[];
  readonly bytesFetched: number;
  readonly relocated: boolean;
}

/** Fetches and verifies the preserved chunks and relocates the GPT backup when needed. */
export async function prepareTables(
  store: ChunkSource,
  manifest: Manifest,
  targetSize: number,
): Promise<PreparedTables> {
  let bytesFetched = 0;
  const pieces: PreservedBytes[] = [];
  for (const ref of manifest.preserved) {
    const compressed = await store.getCompressed(ref.hash);
    bytesFetched += compressed.length;
    pieces.push({ offset: ref.offset, data: decodeChunk(ref.hash, compressed) });
  }
  if (!gptMoves(manifest, targetSize)) return { pieces, bytesFetched, relocated: false };
  try {
    const moved = relocateGptBackup(pieces, manifest.disk.size, targetSize, manifest.disk.sectorSize);
    return { pieces: moved, bytesFetched, relocated: true };
  } catch (error) {
    if (error instanceof PartitionTableError && error.code === 'DISK_TOO_SMALL') {
      throw new TargetTooSmallError(manifest.disk.size, targetSize, error.message);
    }
    throw error;
  }
}

export async function writeTables(disk: DiskWriter, tables: PreparedTables): Promise<number> {
  let written = 0;
  for (const piece of tables.pieces) {
    await disk.writeAt(piece.data, piece.offset);
    written += piece.data.length;
  }
  return written;
}

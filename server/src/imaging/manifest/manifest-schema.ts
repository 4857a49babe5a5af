/** The manifest document (see MANIFEST.md), validated with zod on every read. */
import { z } from 'zod';

export const MANIFEST_FORMAT = 'brume-image';
export const MANIFEST_FORMAT_VERSION = 1;

const byteCount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const hash = z.string().regex(/^[0-9a-f]{64}$/);
const fsKind = z.enum(['ntfs', 'ext2', 'ext3', 'ext4', 'fat12', 'fat16', 'fat32', 'swap', 'unknown']);

export const chunkRefSchema = z.object({
  offset: byteCount,
  length: byteCount.positive(),
  hash,
  storedSize: byteCount,
});

export const blockSchema = chunkRefSchema.extend({ partition: z.number().int().nonnegative() });

export const partitionSchema = z.object({
  number: z.number().int().nonnegative(),
  start: byteCount,
  size: byteCount,
  typeId: z.string().max(64),
  name: z.string().max(256).optional(),
  uuid: z.string().max(64).optional(),
  bootable: z.boolean().optional(),
  fs: fsKind,
  clusterSize: byteCount.positive(),
  usedBytes: byteCount,
  blocks: byteCount,
});

export const manifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  createdAt: z.string(),
  blockSize: byteCount.positive(),
  compression: z.object({ algorithm: z.literal('zstd'), level: z.number().int() }),
  disk: z.object({
    size: byteCount,
    sectorSize: z.number().int().positive(),
    table: z.enum(['mbr', 'gpt', 'none']),
    model: z.string().optional(),
    serial: z.string().optional(),
  }),
  preserved: z.array(chunkRefSchema),
  partitions: z.array(partitionSchema),
  blocks: z.array(blockSchema),
  totals: z.object({
    blocks: byteCount,
    blockBytes: byteCount,
    usedBytes: byteCount,
    storedBytes: byteCount,
    preservedBytes: byteCount,
  }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestBlock = z.infer<typeof blockSchema>;
export type ManifestChunkRef = z.infer<typeof chunkRefSchema>;
export type ManifestPartition = z.infer<typeof partitionSchema>;

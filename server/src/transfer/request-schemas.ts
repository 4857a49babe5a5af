/** The JSON bodies of the data plane, validated before any handler runs. */
import { z } from 'zod';

const MAX_INDEX = 0x7fff_ffff;
const MAX_BLOCKS = 16_000_000;
const bytes = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const text = (max: number) => z.string().max(max);

export const checkinBody = z.object({ mac: text(64), uuid: text(64).optional() });

export const startBody = z.object({
  blocksTotal: z.number().int().nonnegative().max(MAX_BLOCKS).optional(),
  bytesTotal: bytes.optional(),
});

export const failBody = z.object({ reason: text(2000).default('failed on the client') });

export const BLOCK_STATES = ['written', 'skipped', 'uploaded', 'deduplicated', 'verified', 'failed'] as const;

export const progressBody = z.object({
  phase: text(32).nullable().optional(),
  partition: z.number().int().nonnegative().max(1024).nullable().optional(),
  blocksTotal: z.number().int().nonnegative().max(MAX_BLOCKS).optional(),
  bytesTotal: bytes.optional(),
  blocksDone: z.number().int().nonnegative().max(MAX_BLOCKS).optional(),
  bytesDone: bytes.optional(),
  events: z
    .array(
      z.object({
        index: z.number().int().min(-1).max(MAX_INDEX),
        state: z.enum(BLOCK_STATES),
        bytes: bytes.optional(),
      }),
    )
    .max(4096)
    .optional(),
  done: z
    .array(
      z.tuple([z.number().int().nonnegative().max(MAX_INDEX), z.number().int().nonnegative().max(MAX_INDEX)]),
    )
    .max(4096)
    .optional(),
});

export const missingBody = z.object({ hashes: z.array(z.string().regex(/^[0-9a-f]{64}$/)).max(4096) });

const opt = (max = 256) => text(max).nullable().optional();
const num = z.number().finite().nonnegative().nullable().optional();

export const inventoryBody = z.object({
  systemManufacturer: opt(),
  systemProduct: opt(),
  systemVersion: opt(),
  systemSerial: opt(),
  systemUuid: opt(),
  chassisType: opt(),
  biosVendor: opt(),
  biosVersion: opt(),
  biosDate: opt(),
  boardManufacturer: opt(),
  boardProduct: opt(),
  boardVersion: opt(),
  boardSerial: opt(),
  boardAssetTag: opt(),
  cpuManufacturer: opt(),
  cpuModel: opt(),
  cpuCurrentSpeedMhz: num,
  cpuMaxSpeedMhz: num,
  cpuCores: num,
  memoryBytes: num,
  disks: z
    .array(
      z.object({
        device: opt(),
        model: opt(),
        firmware: opt(),
        serial: opt(),
        sizeBytes: num,
        removable: z.boolean().nullable().optional(),
      }),
    )
    .max(64)
    .optional(),
  nics: z
    .array(
      z.object({
        name: opt(),
        mac: opt(64),
        driver: opt(),
        speedMbps: z.number().finite().nullable().optional(),
      }),
    )
    .max(64)
    .optional(),
  primaryUser: opt(),
  otherTags: z.array(text(256)).max(64).optional(),
});

const uuid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);

export const registerBody = z.object({
  mac: text(64),
  uuid: text(64).optional(),
  mode: z.enum(['full', 'quick']),
  name: text(64).optional(),
  imageId: uuid.nullable().optional(),
  groupIds: z.array(uuid).max(64).optional(),
  inventory: inventoryBody,
});

/** Turns a finished capture (survey, plan, per-block results) into the manifest document. */
import type { PlannedBlock } from '../blocks/block-plan.ts';
import { usedBytesOf } from '../blocks/block-plan.ts';
import type { DiskIdentity, DiskReader } from '../layout-types.ts';
import {
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_VERSION,
  type Manifest,
  type ManifestBlock,
  type ManifestChunkRef,
  type ManifestPartition,
} from '../manifest/manifest-schema.ts';
import type { CapturedBlock } from './capture-block.ts';
import type { DiskSurvey } from './survey-disk.ts';

export interface ManifestInput {
  readonly name: string;
  readonly blockSize: number;
  readonly level: number;
  readonly disk: DiskReader & { readonly identity?: DiskIdentity };
  readonly survey: DiskSurvey;
  readonly plan: readonly PlannedBlock[];
  readonly captured: readonly CapturedBlock[];
  readonly preserved: readonly ManifestChunkRef[];
}

export function buildManifest(input: ManifestInput): Manifest {
  const blocks: ManifestBlock[] = [];
  const perPartition = new Map<number, { used: number; blocks: number }>();
  for (const [i, block] of input.plan.entries()) {
    const result = input.captured[i];
    if (result === undefined || result.state === 'skipped') continue;
    const { offset, length, partition } = block;
    blocks.push({ offset, length, hash: result.hash, storedSize: result.storedSize, partition });
    const sums = perPartition.get(partition) ?? { used: 0, blocks: 0 };
    perPartition.set(partition, { used: sums.used + usedBytesOf(block), blocks: sums.blocks + 1 });
  }
  const preserved = input.preserved.map(({ offset, length, hash, storedSize }) => ({
    offset,
    length,
    hash,
    storedSize,
  }));
  const identity = input.disk.identity ?? {};
  return {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    name: input.name,
    createdAt: new Date().toISOString(),
    blockSize: input.blockSize,
    compression: { algorithm: 'zstd', level: input.level },
    disk: {
      size: input.survey.layout.diskSize,
      sectorSize: input.survey.layout.sectorSize,
      table: input.survey.layout.table,
      ...(identity.model ? { model: identity.model } : {}),
      ...(identity.serial ? { serial: identity.serial } : {}),
    },
    preserved,
    partitions: input.survey.parts.map(({ partition: p, usedMap }): ManifestPartition => {
      const sums = perPartition.get(p.number) ?? { used: 0, blocks: 0 };
      return {
        number: p.number,
        start: p.start,
        size: p.size,
        typeId: p.typeId,
        ...(p.name !== undefined ? { name: p.name } : {}),
        ...(p.uuid !== undefined ? { uuid: p.uuid } : {}),
        ...(p.bootable !== undefined ? { bootable: p.bootable } : {}),
        fs: usedMap.fs,
        clusterSize: usedMap.clusterSize,
        usedBytes: sums.used,
        blocks: sums.blocks,
      };
    }),
    blocks,
    totals: {
      ...totalsOf(blocks, preserved),
      usedBytes: [...perPartition.values()].reduce((s, p) => s + p.used, 0),
    },
  };
}

function totalsOf(
  blocks: readonly ManifestBlock[],
  preserved: readonly ManifestChunkRef[],
): Manifest['totals'] {
  const distinct = new Map<string, number>();
  for (const ref of [...blocks, ...preserved]) distinct.set(ref.hash, ref.storedSize);
  let storedBytes = 0;
  for (const size of distinct.values()) storedBytes += size;
  return {
    blocks: blocks.length,
    blockBytes: blocks.reduce((s, b) => s + b.length, 0),
    usedBytes: 0,
    storedBytes,
    preservedBytes: preserved.reduce((s, p) => s + p.length, 0),
  };
}

import type { FsKind, UsedMap } from '../layout-types.ts';
import { setBit } from './bitmap.ts';
import { CorruptFilesystemError } from './filesystem-errors.ts';
import type { PartitionReader } from './partition-reader.ts';
import { BitmapUsedMap } from './used-map.ts';

/** Linux's MAX_FAT12: a FAT with more clusters uses 16-bit entries. */
const MAX_FAT12_CLUSTERS = 4084;
const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

export interface FatGeometry {
  readonly kind: 'fat12' | 'fat16' | 'fat32';
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  readonly fatOffset: number;
  readonly fatBytes: number;
  readonly dataOffset: number;
  readonly clusters: number;
}

/** A DOS boot sector with a plausible BPB (the checks the Linux kernel makes before mounting). */
export function isFat(boot: Uint8Array): boolean {
  if (boot.length < 512 || boot[510] !== 0x55 || boot[511] !== 0xaa) return false;
  if (!(boot[0] === 0xeb && boot[2] === 0x90) && boot[0] !== 0xe9) return false;
  const view = new DataView(boot.buffer, boot.byteOffset, boot.byteLength);
  const bps = view.getUint16(11, true);
  const media = boot[21]!;
  return (
    isPow2(bps) &&
    bps >= 512 &&
    bps <= 4096 &&
    isPow2(boot[13]!) &&
    view.getUint16(14, true) > 0 &&
    boot[16]! > 0 &&
    (media === 0xf0 || media >= 0xf8)
  );
}

function corrupt(kind: FsKind, code: string, message: string): CorruptFilesystemError {
  return new CorruptFilesystemError(kind, code, message);
}

/** Regions from the BPB; FAT32 is told by a zero 16-bit FAT size, as Linux and dosfstools do. */
export function parseFatBoot(boot: Uint8Array, partitionSize: number): FatGeometry {
  const view = new DataView(boot.buffer, boot.byteOffset, boot.byteLength);
  const bps = view.getUint16(11, true);
  const spc = boot[13]!;
  const reserved = view.getUint16(14, true);
  const fats = boot[16]!;
  const rootEntries = view.getUint16(17, true);
  const fatSz16 = view.getUint16(22, true);
  const fatSectors = fatSz16 !== 0 ? fatSz16 : view.getUint32(36, true);
  const totalSectors = view.getUint16(19, true) !== 0 ? view.getUint16(19, true) : view.getUint32(32, true);
  const rootDirSectors = Math.ceil((rootEntries * 32) / bps);
  const firstData = reserved + fats * fatSectors + rootDirSectors;
  const guess: FsKind = fatSz16 === 0 ? 'fat32' : 'fat16';
  if (totalSectors * bps > partitionSize) {
    throw corrupt(
      guess,
      'VOLUME_BEYOND_PARTITION',
      `${totalSectors} sectors do not fit ${partitionSize} bytes`,
    );
  }
  if (fatSectors === 0 || firstData >= totalSectors) {
    throw corrupt(guess, 'BAD_BPB', `data region starts at sector ${firstData} of ${totalSectors}`);
  }
  const clusters = Math.floor((totalSectors - firstData) / spc);
  const kind = fatSz16 === 0 ? 'fat32' : clusters <= MAX_FAT12_CLUSTERS ? 'fat12' : 'fat16';
  const entries = clusters + 2;
  const fatBytes = kind === 'fat12' ? Math.ceil(entries * 1.5) : kind === 'fat16' ? entries * 2 : entries * 4;
  if (fatBytes > fatSectors * bps) {
    throw corrupt(
      kind,
      'FAT_TOO_SMALL',
      `${clusters} clusters need ${fatBytes} FAT bytes, FAT has ${fatSectors * bps}`,
    );
  }
  return {
    kind,
    bytesPerSector: bps,
    clusterSize: spc * bps,
    fatOffset: reserved * bps,
    fatBytes,
    dataOffset: firstData * bps,
    clusters,
  };
}

function fatEntry(kind: FatGeometry['kind'], fat: Uint8Array, view: DataView, n: number): number {
  if (kind === 'fat32') return view.getUint32(n * 4, true) & 0x0fffffff;
  if (kind === 'fat16') return view.getUint16(n * 2, true);
  const at = n + (n >>> 1);
  const v = fat[at]! | (fat[at + 1]! << 8);
  return n & 1 ? v >>> 4 : v & 0xfff;
}

/**
 * FAT used map: the reserved sectors, every FAT copy and the FAT12/16 root directory are used; a data
 * cluster is used when its entry in the first FAT is non-zero. `usedClusters` counts data clusters
 * only, as `fsck.fat -v` does.
 */
export async function analyzeFat(reader: PartitionReader, boot: Uint8Array): Promise<UsedMap> {
  const geo = parseFatBoot(boot, reader.size);
  const fat = await reader.read(geo.kind, geo.fatOffset, geo.fatBytes, 'FAT');
  const view = new DataView(fat.buffer, fat.byteOffset, fat.byteLength);
  const bitmap = new Uint8Array(Math.ceil(geo.clusters / 8));
  for (let i = 0; i < geo.clusters; i++) {
    if (fatEntry(geo.kind, fat, view, i + 2) !== 0) setBit(bitmap, i);
  }
  return new BitmapUsedMap({
    fs: geo.kind,
    partitionSize: reader.size,
    clusterSize: geo.clusterSize,
    totalClusters: geo.clusters,
    bitmap,
    firstClusterOffset: geo.dataOffset,
    extraRanges: [{ offset: 0, length: geo.dataOffset }],
  });
}

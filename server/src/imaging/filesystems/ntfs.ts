import type { ByteRange, UsedMap } from '../layout-types.ts';
import { CorruptFilesystemError, UnsupportedFilesystemError } from './filesystem-errors.ts';
import {
  applyFixups,
  type DataAttribute,
  type DataRun,
  findDataAttribute,
  residentValue,
} from './ntfs-records.ts';
import type { PartitionReader } from './partition-reader.ts';
import { BitmapUsedMap } from './used-map.ts';

const MFT_RECORD_MFT = 0;
const MFT_RECORD_VOLUME = 3;
const MFT_RECORD_BITMAP = 6;
const ATTR_VOLUME_INFORMATION = 0x70;
const VOLUME_IS_DIRTY = 0x0001;

export interface NtfsGeometry {
  readonly bytesPerSector: number;
  readonly clusterSize: number;
  readonly totalSectors: number;
  readonly totalClusters: number;
  readonly mftLcn: number;
  readonly recordSize: number;
}

function corrupt(code: string, message: string): CorruptFilesystemError {
  return new CorruptFilesystemError('ntfs', code, message);
}

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

export function isNtfsBootSector(boot: Uint8Array): boolean {
  return new TextDecoder('latin1').decode(boot.subarray(3, 11)) === 'NTFS    ';
}

/** Geometry from the boot sector, each field checked against the others and the partition size. */
export function parseNtfsBoot(boot: Uint8Array, partitionSize: number): NtfsGeometry {
  const view = new DataView(boot.buffer, boot.byteOffset, boot.byteLength);
  const bytesPerSector = view.getUint16(0x0b, true);
  const spcRaw = view.getUint8(0x0d);
  const sectorsPerCluster = spcRaw > 0x80 ? 2 ** (256 - spcRaw) : spcRaw;
  if (!isPow2(bytesPerSector) || bytesPerSector < 256 || bytesPerSector > 4096) {
    throw corrupt('BAD_BOOT_SECTOR', `bytes per sector ${bytesPerSector}`);
  }
  if (!isPow2(sectorsPerCluster) || sectorsPerCluster * bytesPerSector > 2 * 1024 * 1024) {
    throw corrupt('BAD_BOOT_SECTOR', `sectors per cluster ${sectorsPerCluster}`);
  }
  const clusterSize = bytesPerSector * sectorsPerCluster;
  const totalSectors = Number(view.getBigUint64(0x28, true) & 0x1fffffffffffffn);
  if (totalSectors * bytesPerSector > partitionSize || totalSectors === 0) {
    throw corrupt('VOLUME_BEYOND_PARTITION', `${totalSectors} sectors do not fit ${partitionSize} bytes`);
  }
  const totalClusters = Math.floor(totalSectors / sectorsPerCluster);
  const mftLcn = Number(view.getBigUint64(0x30, true) & 0x1fffffffffffffn);
  const recRaw = view.getInt8(0x40);
  const recordSize = recRaw > 0 ? recRaw * clusterSize : 2 ** -recRaw;
  if (!isPow2(recordSize) || recordSize < 512 || recordSize > 65536) {
    throw corrupt('BAD_BOOT_SECTOR', `MFT record size ${recordSize}`);
  }
  if (mftLcn >= totalClusters) throw corrupt('BAD_BOOT_SECTOR', `MFT at cluster ${mftLcn} past the volume`);
  return { bytesPerSector, clusterSize, totalSectors, totalClusters, mftLcn, recordSize };
}

/** Reads `length` bytes at byte `offset` of a non-resident attribute, sparse runs as zeros. */
async function readRuns(
  reader: PartitionReader,
  geo: NtfsGeometry,
  runs: readonly DataRun[],
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let runStart = 0;
  for (const run of runs) {
    const runBytes = run.clusters * geo.clusterSize;
    const from = Math.max(offset, runStart);
    const to = Math.min(offset + length, runStart + runBytes);
    if (to > from && run.lcn !== undefined) {
      const bytes = await reader.read(
        'ntfs',
        run.lcn * geo.clusterSize + (from - runStart),
        to - from,
        'data run',
      );
      out.set(bytes, from - offset);
    }
    runStart += runBytes;
    if (runStart >= offset + length) return out;
  }
  throw corrupt('RUNS_TOO_SHORT', `data runs end at ${runStart}, wanted up to ${offset + length}`);
}

async function readRecord(
  reader: PartitionReader,
  geo: NtfsGeometry,
  mftRuns: readonly DataRun[] | undefined,
  n: number,
): Promise<Uint8Array> {
  const at = n * geo.recordSize;
  const record =
    mftRuns === undefined
      ? await reader.read('ntfs', geo.mftLcn * geo.clusterSize + at, geo.recordSize, `MFT record ${n}`)
      : await readRuns(reader, geo, mftRuns, at, geo.recordSize);
  applyFixups(record, n);
  return record;
}

async function readAttributeValue(
  reader: PartitionReader,
  geo: NtfsGeometry,
  attr: DataAttribute,
  need: number,
) {
  if (attr.resident) {
    if (attr.value.length < need)
      throw corrupt('BITMAP_TOO_SMALL', `$Bitmap holds ${attr.value.length} bytes`);
    return attr.value;
  }
  if (attr.dataSize < need) throw corrupt('BITMAP_TOO_SMALL', `$Bitmap holds ${attr.dataSize} bytes`);
  const bytes = await readRuns(reader, geo, attr.runs, 0, need);
  if (attr.initializedSize < need) bytes.fill(0, attr.initializedSize);
  return bytes;
}

/**
 * A volume marked dirty was not unmounted cleanly: $LogFile may hold allocations $Bitmap lacks
 * (ntfsclone refuses it too). Every byte is then kept, which is slow but never loses data.
 */
async function refuseDirtyVolume(reader: PartitionReader, geo: NtfsGeometry, mftRuns: readonly DataRun[]) {
  const volume = await readRecord(reader, geo, mftRuns, MFT_RECORD_VOLUME);
  const info = residentValue(volume, MFT_RECORD_VOLUME, ATTR_VOLUME_INFORMATION);
  if (info === undefined || info.length < 12)
    throw corrupt('NO_VOLUME_INFORMATION', '$Volume lacks $VOLUME_INFORMATION');
  const flags = info[10]! | (info[11]! << 8);
  if ((flags & VOLUME_IS_DIRTY) !== 0) {
    throw new UnsupportedFilesystemError(
      'ntfs',
      'DIRTY_VOLUME',
      'volume is marked dirty (run chkdsk or ntfsfix -d)',
    );
  }
}

/**
 * NTFS used map: boot sector → $MFT's own data runs (record 0) → record 6 ($Bitmap) → its
 * $DATA, one bit per cluster. Both boot sector copies count as used: the backup lies just past the
 * last volume cluster, normally the partition's last sector.
 */
export async function analyzeNtfs(reader: PartitionReader, boot: Uint8Array): Promise<UsedMap> {
  const geo = parseNtfsBoot(boot, reader.size);
  const mft = await readRecord(reader, geo, undefined, MFT_RECORD_MFT);
  const mftData = findDataAttribute(mft, MFT_RECORD_MFT, geo.totalClusters);
  if (mftData.resident) throw corrupt('MFT_RESIDENT', '$MFT data cannot be resident');
  await refuseDirtyVolume(reader, geo, mftData.runs);
  const bitmapRecord = await readRecord(reader, geo, mftData.runs, MFT_RECORD_BITMAP);
  const bitmapAttr = findDataAttribute(bitmapRecord, MFT_RECORD_BITMAP, geo.totalClusters);
  const bitmap = await readAttributeValue(reader, geo, bitmapAttr, Math.ceil(geo.totalClusters / 8));
  const ss = geo.bytesPerSector;
  const extraRanges: ByteRange[] = [
    { offset: geo.totalSectors * ss, length: ss },
    { offset: reader.size - ss, length: ss },
  ];
  return new BitmapUsedMap({
    fs: 'ntfs',
    partitionSize: reader.size,
    clusterSize: geo.clusterSize,
    totalClusters: geo.totalClusters,
    bitmap,
    firstClusterOffset: 0,
    extraRanges,
  });
}

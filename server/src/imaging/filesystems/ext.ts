import type { UsedMap } from '../layout-types.ts';
import { setBit, setBits } from './bitmap.ts';
import {
  descBlocks,
  descriptorBlock,
  EXT_SUPERBLOCK_OFFSET,
  type ExtSuperblock,
  groupFirstBlock,
  parseExtSuperblock,
  superAndDescriptorRanges,
} from './ext-superblock.ts';
import { CorruptFilesystemError } from './filesystem-errors.ts';
import type { PartitionReader } from './partition-reader.ts';
import { BitmapUsedMap } from './used-map.ts';

export { isExt } from './ext-superblock.ts';

const BG_BLOCK_UNINIT = 0x2;

interface GroupDescriptor {
  readonly blockBitmap: number;
  readonly inodeBitmap: number;
  readonly inodeTable: number;
  readonly flags: number;
}

async function readDescriptors(reader: PartitionReader, sb: ExtSuperblock): Promise<GroupDescriptor[]> {
  const bs = sb.blockSize;
  const out: GroupDescriptor[] = [];
  const perBlock = bs / sb.descSize;
  const wide = sb.descSize >= 64;
  for (let i = 0; i < descBlocks(sb); i++) {
    const block = descriptorBlock(sb, i);
    const bytes = await reader.read(sb.kind, block * bs, bs, `group descriptor block ${i}`);
    const v = new DataView(bytes.buffer);
    for (let j = 0; j < perBlock && out.length < sb.groupCount; j++) {
      const at = j * sb.descSize;
      const hi = (off: number) => (wide ? v.getUint32(at + off, true) * 2 ** 32 : 0);
      out.push({
        blockBitmap: v.getUint32(at, true) + hi(0x20),
        inodeBitmap: v.getUint32(at + 4, true) + hi(0x24),
        inodeTable: v.getUint32(at + 8, true) + hi(0x28),
        flags: v.getUint16(at + 18, true),
      });
    }
  }
  return out;
}

/** Copies `bits` bits of `src` to `dst` at bit `at`, a byte at a time when aligned (4 KiB blocks). */
function copyBits(src: Uint8Array, dst: Uint8Array, at: number, bits: number): void {
  if ((at & 7) === 0) {
    dst.set(src.subarray(0, bits >>> 3), at >>> 3);
    return;
  }
  for (let i = 0; i < bits; i++) if ((src[i >>> 3]! >>> (i & 7)) & 1) setBit(dst, at + i);
}

/** Bitmap blocks read per request: flex_bg packs them side by side, so few requests cover all groups. */
const MAX_BITMAP_BLOCKS_PER_READ = 256;

/** Reads the block bitmaps of `groups`, coalescing adjacent bitmap blocks into one read. */
async function readBlockBitmaps(
  reader: PartitionReader,
  sb: ExtSuperblock,
  descs: readonly GroupDescriptor[],
  groups: readonly number[],
  bitmap: Uint8Array,
): Promise<void> {
  const sorted = [...groups].sort((a, b) => descs[a]!.blockBitmap - descs[b]!.blockBitmap);
  const bs = sb.blockSize;
  for (let i = 0; i < sorted.length; ) {
    const first = descs[sorted[i]!]!.blockBitmap;
    let n = 1;
    while (
      i + n < sorted.length &&
      n < MAX_BITMAP_BLOCKS_PER_READ &&
      descs[sorted[i + n]!]!.blockBitmap === first + n
    ) {
      n++;
    }
    const bytes = await reader.read(sb.kind, first * bs, n * bs, `block bitmaps at block ${first}`);
    for (let k = 0; k < n; k++) {
      const g = sorted[i + k]!;
      copyBits(bytes.subarray(k * bs, (k + 1) * bs), bitmap, groupFirstBlock(sb, g), sb.blocksPerGroup);
    }
    i += n;
  }
}

function checkMetadata(sb: ExtSuperblock, d: GroupDescriptor, g: number, inodeTableBlocks: number): void {
  const inside = (b: number, n: number) => b >= sb.firstDataBlock && b + n <= sb.blocksCount;
  if (!inside(d.blockBitmap, 1) || !inside(d.inodeBitmap, 1) || !inside(d.inodeTable, inodeTableBlocks)) {
    throw new CorruptFilesystemError(
      sb.kind,
      'GROUP_METADATA_OUT_OF_RANGE',
      `group ${g} points outside the volume`,
    );
  }
}

/**
 * Marks what an uninitialized group holds although its bitmap is not on disk: superblock and
 * descriptor copies, and any group's bitmaps and inode table placed in it (flex_bg packs them).
 */
function markUninitGroups(
  sb: ExtSuperblock,
  descs: readonly GroupDescriptor[],
  uninit: Uint8Array,
  bitmap: Uint8Array,
) {
  const itb = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
  const groupOf = (b: number) => Math.floor((b - sb.firstDataBlock) / sb.blocksPerGroup);
  const markIfUninit = (start: number, end: number) => {
    for (let b = start; b < end; ) {
      const g = groupOf(b);
      const groupEnd = Math.min(end, groupFirstBlock(sb, g + 1));
      if (uninit[g] === 1) setBits(bitmap, b, groupEnd);
      b = groupEnd;
    }
  };
  for (let g = 0; g < descs.length; g++) {
    if (uninit[g] === 1)
      for (const [s, e] of superAndDescriptorRanges(sb, g)) setBits(bitmap, s, Math.min(e, sb.blocksCount));
    const d = descs[g]!;
    markIfUninit(d.blockBitmap, d.blockBitmap + 1);
    markIfUninit(d.inodeBitmap, d.inodeBitmap + 1);
    markIfUninit(d.inodeTable, d.inodeTable + itb);
  }
}

/**
 * ext2/3/4 used map: one bit per block from each group's block bitmap; groups flagged BLOCK_UNINIT
 * (with descriptor checksums) have no bitmap on disk and get their metadata computed. The boot
 * block before the superblock always counts as used.
 */
export async function analyzeExt(reader: PartitionReader, probe: Uint8Array): Promise<UsedMap> {
  const sb = parseExtSuperblock(probe, reader.size);
  const descs = await readDescriptors(reader, sb);
  const itb = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
  const bitmap = new Uint8Array(Math.ceil((sb.firstDataBlock + sb.groupCount * sb.blocksPerGroup) / 8));
  const uninit = new Uint8Array(sb.groupCount);
  setBits(bitmap, 0, sb.firstDataBlock);
  const onDisk: number[] = [];
  for (let g = 0; g < descs.length; g++) {
    const d = descs[g]!;
    checkMetadata(sb, d, g, itb);
    if (sb.groupChecksums && (d.flags & BG_BLOCK_UNINIT) !== 0) uninit[g] = 1;
    else onDisk.push(g);
  }
  await readBlockBitmaps(reader, sb, descs, onDisk, bitmap);
  markUninitGroups(sb, descs, uninit, bitmap);
  return new BitmapUsedMap({
    fs: sb.kind,
    partitionSize: reader.size,
    clusterSize: sb.blockSize,
    totalClusters: sb.blocksCount,
    bitmap,
    firstClusterOffset: 0,
    extraRanges: [{ offset: 0, length: EXT_SUPERBLOCK_OFFSET }],
  });
}

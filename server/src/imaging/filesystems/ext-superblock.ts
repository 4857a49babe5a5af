import type { FsKind } from '../layout-types.ts';
import { CorruptFilesystemError, UnsupportedFilesystemError } from './filesystem-errors.ts';

export const EXT_SUPERBLOCK_OFFSET = 1024;
const EXT_MAGIC = 0xef53;

const COMPAT_HAS_JOURNAL = 0x4;
const COMPAT_SPARSE_SUPER2 = 0x200;
const INCOMPAT_RECOVER = 0x4;
const INCOMPAT_JOURNAL_DEV = 0x8;
const INCOMPAT_META_BG = 0x10;
const INCOMPAT_64BIT = 0x80;
const INCOMPAT_FLEX_BG = 0x200;
const RO_COMPAT_SPARSE_SUPER = 0x1;
const RO_COMPAT_GDT_CSUM = 0x10;
const RO_COMPAT_BIGALLOC = 0x200;
const RO_COMPAT_METADATA_CSUM = 0x400;
/** Features ext3 never had: their presence makes the filesystem ext4 (blkid's rule). */
const EXT4_INCOMPAT = ~0x16 & 0xffffffff;
const EXT4_RO_COMPAT = ~0x7 & 0xffffffff;

export interface ExtSuperblock {
  readonly kind: FsKind;
  readonly blockSize: number;
  readonly blocksCount: number;
  readonly firstDataBlock: number;
  readonly blocksPerGroup: number;
  readonly inodesPerGroup: number;
  readonly inodeSize: number;
  readonly descSize: number;
  readonly groupCount: number;
  readonly reservedGdtBlocks: number;
  readonly firstMetaBg: number;
  readonly backupBgs: readonly [number, number];
  readonly metaBg: boolean;
  readonly sparseSuper: boolean;
  readonly sparseSuper2: boolean;
  readonly flexBg: boolean;
  /** BLOCK_UNINIT is only trusted when group descriptors carry checksums (as the kernel does). */
  readonly groupChecksums: boolean;
}

export function isExt(probe: Uint8Array): boolean {
  const at = EXT_SUPERBLOCK_OFFSET + 56;
  return probe.length >= at + 2 && (probe[at]! | (probe[at + 1]! << 8)) === EXT_MAGIC;
}

function extKind(compat: number, incompat: number, roCompat: number): FsKind {
  if ((incompat & EXT4_INCOMPAT) !== 0 || (roCompat & EXT4_RO_COMPAT) !== 0) return 'ext4';
  return (compat & COMPAT_HAS_JOURNAL) !== 0 ? 'ext3' : 'ext2';
}

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Features whose volumes this reader must not map from the bitmaps alone. */
function refuseUnmappable(kind: FsKind, incompat: number, roCompat: number): void {
  if ((incompat & INCOMPAT_JOURNAL_DEV) !== 0) {
    throw new UnsupportedFilesystemError(kind, 'JOURNAL_DEVICE', 'an external journal device holds no files');
  }
  if ((incompat & INCOMPAT_RECOVER) !== 0) {
    // The journal may allocate blocks on replay that the on-disk bitmaps do not show yet.
    throw new UnsupportedFilesystemError(
      kind,
      'NEEDS_RECOVERY',
      'the journal needs replaying (mount once or e2fsck)',
    );
  }
  if ((roCompat & RO_COMPAT_BIGALLOC) !== 0) {
    throw new UnsupportedFilesystemError(kind, 'BIGALLOC', 'bigalloc (cluster bitmaps) is not mapped');
  }
}

function checkGeometry(sb: ExtSuperblock, is64: boolean, partitionSize: number): void {
  const bad = (msg: string) => new CorruptFilesystemError(sb.kind, 'BAD_SUPERBLOCK', msg);
  const { blockSize, firstDataBlock, blocksPerGroup, inodesPerGroup, inodeSize, descSize, blocksCount } = sb;
  if (firstDataBlock !== (blockSize === 1024 ? 1 : 0)) throw bad(`first data block ${firstDataBlock}`);
  if (blocksPerGroup === 0 || blocksPerGroup % 8 !== 0 || blocksPerGroup > blockSize * 8) {
    throw bad(`blocks per group ${blocksPerGroup}`);
  }
  if (inodesPerGroup === 0 || inodesPerGroup > blockSize * 8) throw bad(`inodes per group ${inodesPerGroup}`);
  if (!isPow2(inodeSize) || inodeSize < 128 || inodeSize > blockSize) throw bad(`inode size ${inodeSize}`);
  if (!isPow2(descSize) || descSize < 32 || descSize > 1024 || (is64 && descSize < 64)) {
    throw bad(`descriptor size ${descSize}`);
  }
  if (blocksCount <= firstDataBlock || blocksCount * blockSize > partitionSize) {
    const msg = `${blocksCount} blocks of ${blockSize} do not fit ${partitionSize} bytes`;
    throw new CorruptFilesystemError(sb.kind, 'VOLUME_BEYOND_PARTITION', msg);
  }
}

/** The superblock fields the used map needs, checked against each other and the partition. */
export function parseExtSuperblock(probe: Uint8Array, partitionSize: number): ExtSuperblock {
  const v = new DataView(probe.buffer, probe.byteOffset + EXT_SUPERBLOCK_OFFSET, 1024);
  const compat = v.getUint32(92, true);
  const incompat = v.getUint32(96, true);
  const roCompat = v.getUint32(100, true);
  const kind = extKind(compat, incompat, roCompat);
  refuseUnmappable(kind, incompat, roCompat);
  const logBlock = v.getUint32(24, true);
  if (logBlock > 6) throw new CorruptFilesystemError(kind, 'BAD_SUPERBLOCK', `log block size ${logBlock}`);
  const blockSize = 1024 << logBlock;
  const is64 = (incompat & INCOMPAT_64BIT) !== 0;
  const blocksCount = v.getUint32(4, true) + (is64 ? v.getUint32(0x150, true) * 2 ** 32 : 0);
  const firstDataBlock = v.getUint32(20, true);
  const blocksPerGroup = v.getUint32(32, true);
  const sb: ExtSuperblock = {
    kind,
    blockSize,
    blocksCount,
    firstDataBlock,
    blocksPerGroup,
    inodesPerGroup: v.getUint32(40, true),
    inodeSize: v.getUint32(76, true) === 0 ? 128 : v.getUint16(88, true),
    descSize: is64 ? v.getUint16(254, true) : 32,
    groupCount: blocksPerGroup === 0 ? 0 : Math.ceil((blocksCount - firstDataBlock) / blocksPerGroup),
    reservedGdtBlocks: v.getUint16(206, true),
    firstMetaBg: v.getUint32(260, true),
    backupBgs: [v.getUint32(0x24c, true), v.getUint32(0x250, true)],
    metaBg: (incompat & INCOMPAT_META_BG) !== 0,
    sparseSuper: (roCompat & RO_COMPAT_SPARSE_SUPER) !== 0,
    sparseSuper2: (compat & COMPAT_SPARSE_SUPER2) !== 0,
    flexBg: (incompat & INCOMPAT_FLEX_BG) !== 0,
    groupChecksums: (roCompat & (RO_COMPAT_GDT_CSUM | RO_COMPAT_METADATA_CSUM)) !== 0,
  };
  checkGeometry(sb, is64, partitionSize);
  return sb;
}

function isPowerOf(n: number, base: number): boolean {
  let x = base;
  while (x < n) x *= base;
  return x === n;
}

/** Whether a group holds a superblock backup (e2fsprogs' ext2fs_bg_has_super). */
export function groupHasSuper(sb: ExtSuperblock, g: number): boolean {
  if (g === 0) return true;
  if (sb.sparseSuper2) return g === sb.backupBgs[0] || g === sb.backupBgs[1];
  if (g <= 1 || !sb.sparseSuper) return true;
  if ((g & 1) === 0) return false;
  return isPowerOf(g, 3) || isPowerOf(g, 5) || isPowerOf(g, 7);
}

export const descPerBlock = (sb: ExtSuperblock) => sb.blockSize / sb.descSize;
export const descBlocks = (sb: ExtSuperblock) => Math.ceil(sb.groupCount / descPerBlock(sb));
export const groupFirstBlock = (sb: ExtSuperblock, g: number) => sb.firstDataBlock + g * sb.blocksPerGroup;

/** Block holding primary descriptor block `i` (e2fsprogs' ext2fs_descriptor_block_loc2). */
export function descriptorBlock(sb: ExtSuperblock, i: number): number {
  if (!sb.metaBg || i < sb.firstMetaBg) return sb.firstDataBlock + 1 + i;
  const g = descPerBlock(sb) * i;
  return groupFirstBlock(sb, g) + (groupHasSuper(sb, g) ? 1 : 0);
}

/** Blocks [start, end) of the superblock copy, descriptors and reserved GDT blocks in group g. */
export function superAndDescriptorRanges(sb: ExtSuperblock, g: number): Array<[number, number]> {
  const first = groupFirstBlock(sb, g);
  const hasSuper = groupHasSuper(sb, g);
  const out: Array<[number, number]> = [];
  if (hasSuper) out.push([first, first + 1]);
  const perBlock = descPerBlock(sb);
  const metaGroup = Math.floor(g / perBlock);
  if (!sb.metaBg || metaGroup < sb.firstMetaBg) {
    const oldDescBlocks = sb.metaBg ? sb.firstMetaBg : descBlocks(sb) + sb.reservedGdtBlocks;
    if (hasSuper) out.push([first + 1, first + 1 + oldDescBlocks]);
  } else {
    const r = g % perBlock;
    if (r === 0 || r === 1 || r === perBlock - 1) {
      const at = first + (hasSuper ? 1 : 0);
      out.push([at, at + 1]);
    }
  }
  return out;
}

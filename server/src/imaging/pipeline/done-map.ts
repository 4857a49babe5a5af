/**
 * The persisted record of a deploy's finished blocks, so a killed deploy resumes where it stopped.
 * File: "BRUMEDM1" | manifest sha256 (32 bytes) | block count (u64 LE) | bitmap (1 bit per block).
 * Written atomically, and only after the target was synced, so a set bit is always on the disk.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';
import { readFileNoFollow, writeFileAtomic } from '../store/safe-fs.ts';

const MAGIC = Buffer.from('BRUMEDM1');
const HEADER = MAGIC.length + 32 + 8;

export class DoneMap {
  readonly manifestDigest: string;
  readonly count: number;
  private readonly bits: Uint8Array;
  private dirty = false;

  constructor(manifestDigest: string, count: number, bits?: Uint8Array) {
    this.manifestDigest = manifestDigest;
    this.count = count;
    this.bits = bits ?? new Uint8Array(Math.ceil(count / 8));
  }

  has(index: number): boolean {
    return ((this.bits[index >> 3] ?? 0) & (1 << (index & 7))) !== 0;
  }

  set(index: number): void {
    this.bits[index >> 3] = (this.bits[index >> 3] ?? 0) | (1 << (index & 7));
    this.dirty = true;
  }

  get doneCount(): number {
    let n = 0;
    for (let i = 0; i < this.count; i++) if (this.has(i)) n++;
    return n;
  }

  get isDirty(): boolean {
    return this.dirty;
  }

  /** A copy of the bits as they are now (saved after the target sync that makes them true). */
  snapshot(): DoneMap {
    this.dirty = false;
    return new DoneMap(this.manifestDigest, this.count, this.bits.slice());
  }

  encode(): Buffer {
    const header = Buffer.alloc(HEADER);
    MAGIC.copy(header, 0);
    Buffer.from(this.manifestDigest, 'hex').copy(header, MAGIC.length);
    header.writeBigUInt64LE(BigInt(this.count), MAGIC.length + 32);
    return Buffer.concat([header, this.bits]);
  }

  /** Null when the bytes are not a done-map of this manifest (then the deploy starts afresh). */
  static decode(bytes: Uint8Array, manifestDigest: string, count: number): DoneMap | null {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (buf.length !== HEADER + Math.ceil(count / 8)) return null;
    if (!buf.subarray(0, MAGIC.length).equals(MAGIC)) return null;
    if (buf.subarray(MAGIC.length, MAGIC.length + 32).toString('hex') !== manifestDigest) return null;
    if (buf.readBigUInt64LE(MAGIC.length + 32) !== BigInt(count)) return null;
    return new DoneMap(manifestDigest, count, new Uint8Array(buf.subarray(HEADER)));
  }

  static async load(path: string, manifestDigest: string, count: number): Promise<DoneMap> {
    const bytes = await readFileNoFollow(path).catch(() => null);
    return (bytes && DoneMap.decode(bytes, manifestDigest, count)) ?? new DoneMap(manifestDigest, count);
  }

  async save(path: string): Promise<void> {
    this.dirty = false;
    await writeFileAtomic(dirname(path), basename(path), this.encode());
  }

  static async remove(path: string): Promise<void> {
    await fs.rm(path, { force: true });
  }
}

import { CorruptFilesystemError, UnsupportedFilesystemError } from './filesystem-errors.ts';

/** The update sequence stride: NTFS protects every 512 bytes, whatever the sector size. */
const FIXUP_STRIDE = 512;
const ATTR_END = 0xffffffff;
export const ATTR_ATTRIBUTE_LIST = 0x20;
export const ATTR_DATA = 0x80;
/** A data run list longer than this in one record cannot be real (a record is a few KiB). */
const MAX_RUNS = 65536;

function corrupt(code: string, message: string): CorruptFilesystemError {
  return new CorruptFilesystemError('ntfs', code, message);
}

/** Checks the FILE signature and replaces each stride's last two bytes from the update sequence array. */
export function applyFixups(record: Uint8Array, recordNumber: number): void {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (view.getUint32(0, true) !== 0x454c4946)
    throw corrupt('MFT_BAD_SIGNATURE', `MFT record ${recordNumber}: no FILE`);
  const usaOffset = view.getUint16(4, true);
  const usaCount = view.getUint16(6, true);
  const strides = record.length / FIXUP_STRIDE;
  if (usaCount !== strides + 1 || usaOffset % 2 !== 0 || usaOffset + usaCount * 2 > record.length) {
    throw corrupt('MFT_BAD_FIXUPS', `MFT record ${recordNumber}: update sequence ${usaOffset}/${usaCount}`);
  }
  const usn = view.getUint16(usaOffset, true);
  for (let i = 0; i < strides; i++) {
    const at = (i + 1) * FIXUP_STRIDE - 2;
    if (view.getUint16(at, true) !== usn) {
      throw corrupt('MFT_TORN_RECORD', `MFT record ${recordNumber}: update sequence mismatch in stride ${i}`);
    }
    view.setUint16(at, view.getUint16(usaOffset + 2 + i * 2, true), true);
  }
}

export type DataAttribute =
  | { readonly resident: true; readonly value: Uint8Array }
  | {
      readonly resident: false;
      readonly dataSize: number;
      /** Bytes past this read as zeros whatever the clusters hold. */
      readonly initializedSize: number;
      readonly runs: DataRun[];
    };

export interface DataRun {
  /** Undefined for a sparse run (reads as zeros). */
  readonly lcn: number | undefined;
  readonly clusters: number;
}

/** Decodes a mapping pairs array: length, then an LCN delta signed against the previous run. */
export function decodeRuns(bytes: Uint8Array, start: number, end: number, totalClusters: number): DataRun[] {
  const runs: DataRun[] = [];
  let at = start;
  let lcn = 0;
  while (at < end && bytes[at] !== 0) {
    const header = bytes[at]!;
    const lenSize = header & 0x0f;
    const offSize = header >>> 4;
    if (
      lenSize === 0 ||
      lenSize > 8 ||
      offSize > 8 ||
      at + 1 + lenSize + offSize > end ||
      runs.length >= MAX_RUNS
    ) {
      throw corrupt('BAD_RUNLIST', `bad data run header 0x${header.toString(16)} at ${at}`);
    }
    let length = 0;
    for (let i = lenSize - 1; i >= 0; i--) length = length * 256 + bytes[at + 1 + i]!;
    let delta = 0;
    for (let i = offSize - 1; i >= 0; i--) delta = delta * 256 + bytes[at + 1 + lenSize + i]!;
    if (offSize > 0 && bytes[at + lenSize + offSize]! >= 0x80) delta -= 2 ** (8 * offSize);
    at += 1 + lenSize + offSize;
    if (offSize === 0) {
      runs.push({ lcn: undefined, clusters: length });
      continue;
    }
    lcn += delta;
    if (length === 0 || lcn < 0 || lcn + length > totalClusters) {
      throw corrupt('RUN_OUT_OF_VOLUME', `data run [${lcn}, +${length}) outside ${totalClusters} clusters`);
    }
    runs.push({ lcn, clusters: length });
  }
  return runs;
}

interface AttributeSpan {
  readonly type: number;
  readonly at: number;
  readonly length: number;
}

/** The attributes of a fixed-up, in-use MFT record, each bounds-checked against the record. */
function attributes(record: Uint8Array, recordNumber: number): AttributeSpan[] {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if ((view.getUint16(0x16, true) & 1) === 0) {
    throw corrupt('MFT_RECORD_UNUSED', `MFT record ${recordNumber} not in use`);
  }
  const used = Math.min(view.getUint32(0x18, true), record.length);
  const out: AttributeSpan[] = [];
  let at = view.getUint16(0x14, true);
  while (at + 8 <= used) {
    const type = view.getUint32(at, true);
    if (type === ATTR_END) break;
    const length = view.getUint32(at + 4, true);
    if (length < 24 || length % 8 !== 0 || at + length > used) {
      throw corrupt('BAD_ATTRIBUTE', `MFT record ${recordNumber}: attribute at ${at} has length ${length}`);
    }
    out.push({ type, at, length });
    at += length;
  }
  return out;
}

/** The unnamed $DATA attribute of a fixed-up MFT record. */
export function findDataAttribute(
  record: Uint8Array,
  recordNumber: number,
  totalClusters: number,
): DataAttribute {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const all = attributes(record, recordNumber);
  const data = all.find((a) => a.type === ATTR_DATA && record[a.at + 9] === 0);
  if (data !== undefined) return parseData(record, view, data.at, data.length, totalClusters);
  if (all.some((a) => a.type === ATTR_ATTRIBUTE_LIST)) {
    throw new UnsupportedFilesystemError(
      'ntfs',
      'ATTRIBUTE_LIST',
      `MFT record ${recordNumber}: $DATA in an attribute list`,
    );
  }
  throw corrupt('NO_DATA_ATTRIBUTE', `MFT record ${recordNumber} has no $DATA attribute`);
}

/** The value of a resident attribute of `type`, or undefined when the record has none. */
export function residentValue(
  record: Uint8Array,
  recordNumber: number,
  type: number,
): Uint8Array | undefined {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const attr = attributes(record, recordNumber).find((a) => a.type === type && record[a.at + 8] === 0);
  if (attr === undefined) return undefined;
  const valueLength = view.getUint32(attr.at + 0x10, true);
  const valueOffset = view.getUint16(attr.at + 0x14, true);
  if (valueOffset + valueLength > attr.length)
    throw corrupt('BAD_ATTRIBUTE', 'resident value overflows its attribute');
  return record.subarray(attr.at + valueOffset, attr.at + valueOffset + valueLength);
}

function parseData(record: Uint8Array, view: DataView, at: number, length: number, totalClusters: number) {
  const end = at + length;
  if (record[at + 8] === 0) {
    const valueLength = view.getUint32(at + 0x10, true);
    const valueOffset = view.getUint16(at + 0x14, true);
    if (at + valueOffset + valueLength > end)
      throw corrupt('BAD_ATTRIBUTE', 'resident $DATA overflows its attribute');
    return {
      resident: true,
      value: record.subarray(at + valueOffset, at + valueOffset + valueLength),
    } as const;
  }
  if (length < 0x40) throw corrupt('BAD_ATTRIBUTE', 'non-resident $DATA header too short');
  if (view.getBigUint64(at + 0x10, true) !== 0n) {
    throw new UnsupportedFilesystemError('ntfs', 'ATTRIBUTE_LIST', '$DATA continues in another record');
  }
  const runsOffset = view.getUint16(at + 0x20, true);
  const dataSize = view.getBigUint64(at + 0x30, true);
  const initializedSize = view.getBigUint64(at + 0x38, true);
  if (runsOffset < 0x40 || runsOffset >= length || dataSize > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw corrupt('BAD_ATTRIBUTE', 'non-resident $DATA header inconsistent');
  }
  const runs = decodeRuns(record, at + runsOffset, end, totalClusters);
  const initialized = Math.min(Number(initializedSize), Number(dataSize));
  return { resident: false, dataSize: Number(dataSize), initializedSize: initialized, runs } as const;
}

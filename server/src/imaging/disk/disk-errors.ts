export type DiskErrorCode = 'OUT_OF_RANGE' | 'SHORT_READ' | 'SHORT_WRITE' | 'NOT_A_DISK' | 'READ_ONLY';

/** A disk access that cannot be done as asked (out of range, unexpected end of file, ...). */
export class DiskAccessError extends Error {
  readonly code: DiskErrorCode;
  readonly path: string;

  constructor(code: DiskErrorCode, path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'DiskAccessError';
    this.code = code;
    this.path = path;
  }
}

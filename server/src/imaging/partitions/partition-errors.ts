export type PartitionTableErrorCode =
  | 'GPT_BOTH_HEADERS_CORRUPT'
  | 'GPT_INVALID_ENTRIES'
  | 'MBR_INVALID_ENTRY'
  | 'EBR_CHAIN_INVALID'
  | 'PARTITION_OUT_OF_RANGE'
  | 'PARTITIONS_OVERLAP'
  | 'DISK_TOO_SMALL'
  | 'GPT_BACKUP_NOT_FOUND';

/** A partition table that cannot be read or does not fit where it should go. */
export class PartitionTableError extends Error {
  readonly code: PartitionTableErrorCode;

  constructor(code: PartitionTableErrorCode, message: string) {
    super(message);
    this.name = 'PartitionTableError';
    this.code = code;
  }
}

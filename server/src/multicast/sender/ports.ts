/** What the sender needs from the outside, as small ports: it never reaches into the engine. */

export interface BlockInfo {
  /** sha256 of the uncompressed bytes, hex. */
  readonly hash: string;
  /** Uncompressed length. */
  readonly length: number;
  /** Stored (zstd) length: what travels on the wire. */
  readonly storedSize: number;
}

/** The image version being sent, in manifest order (block index = position in the manifest). */
export interface BlockSource {
  readonly blockCount: number;
  block(index: number): BlockInfo;
  /** The stored bytes of a block, exactly storedSize long. */
  readStored(index: number): Promise<Uint8Array>;
  /**
   * Optional: the stored bytes read into `into` (a buffer the sender reuses: no allocation and no
   * fresh pages per block); returns the byte count, -1 when they do not fit.
   */
  readStoredInto?(index: number, into: Uint8Array): Promise<number>;
}

export type ReceiverPhase = 'joined' | 'receiving' | 'complete' | 'failed';

export interface ReceiverProgress {
  readonly receiverId: string;
  readonly phase: ReceiverPhase;
  readonly failReason: string | null;
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytesDone: number;
  readonly lossPermille: number;
  readonly nackedFragments: number;
  readonly lastSeenMsAgo: number;
}

export type SessionPhase = 'waiting' | 'running' | 'complete' | 'failed';

export interface SenderSnapshot {
  readonly phase: SessionPhase;
  readonly failReason: string | null;
  readonly mainCursor: number;
  readonly blockCount: number;
  readonly rateBytesPerSecond: number;
  /** UDP payload bytes sent, all kinds. */
  readonly bytesSent: number;
  readonly repairBytesSent: number;
  readonly datagramsSent: number;
  readonly receivers: readonly ReceiverProgress[];
}

/** Called at most every progressIntervalMs and on every phase change; must not block. */
export type SenderProgressSink = (snapshot: SenderSnapshot) => void;

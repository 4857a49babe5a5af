/** What the receiver needs from the outside: where verified blocks go, and how to resume. */

export type VerifyResult = 'ok' | 'bad-hash';

export interface BlockSink {
  readonly blockCount: number;
  /** The manifest's stored (compressed) size of a block: DATA that claims another is refused. */
  storedSize(index: number): number;
  /** Uncompressed length, for progress in bytes. */
  length(index: number): number;
  /** Already on the target and right (resume, delta redeploy); optional. */
  has?(index: number): Promise<boolean>;
  /**
   * Decompresses, checks the manifest hash and writes the block at the manifest's offset for that
   * index; 'bad-hash' when the bytes are not the block (nothing written). Throws on I/O errors.
   * The intake never overlaps two calls (engine-sink.ts decodes into one shared slot).
   */
  verifyAndWrite(index: number, stored: Uint8Array): Promise<VerifyResult>;
  /** Makes every block written so far durable; called before done indexes are persisted. */
  sync?(): Promise<void>;
}

/** Persisted done-map: a bit per block, saved only after the data it names was synced. */
export interface ResumeStore {
  load(): Promise<Uint8Array | null>;
  save(done: Uint8Array): Promise<void>;
}

/** Unicast fallback (another engineer's data plane): the stored bytes of a block. */
export type FetchBlock = (index: number) => Promise<Uint8Array>;

export type ReceiverPhase = 'joining' | 'waiting' | 'receiving' | 'complete' | 'failed';

export interface ReceiverSnapshot {
  readonly phase: ReceiverPhase;
  readonly failReason: string | null;
  readonly blocksDone: number;
  readonly blocksTotal: number;
  readonly bytesDone: number;
  readonly badBlocks: number;
  readonly rejectedDatagrams: number;
  readonly datagrams: number;
  readonly nackedFragments: number;
  /** Datagrams read by the socket drain (socket-drain.ts) rather than delivered by `dgram`. */
  readonly drainedDatagrams: number;
  readonly lossPermille: number;
  readonly unicastBlocks: number;
}

export type ReceiverProgressSink = (snapshot: ReceiverSnapshot) => void;

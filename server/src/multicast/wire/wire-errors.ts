/** Every reason a datagram is refused; decoding returns these, it never throws anything else. */
export type WireErrorCode =
  | 'TRUNCATED'
  | 'BAD_MAGIC'
  | 'BAD_VERSION'
  | 'BAD_TYPE'
  | 'BAD_FLAGS'
  | 'LENGTH_MISMATCH'
  | 'OVERSIZED'
  | 'BAD_FIELD'
  | 'MAC_MISSING'
  | 'BAD_MAC'
  | 'WRONG_SESSION';

export class WireError extends Error {
  readonly code: WireErrorCode;
  constructor(code: WireErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.code = code;
  }
}

/** Raised by encoders when asked to build a datagram the protocol forbids (a bug of ours). */
export class WireEncodeError extends Error {
  readonly code = 'WIRE_ENCODE';
}

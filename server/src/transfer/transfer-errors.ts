/** The data plane's closed list of error codes (PROTOCOL.md "Errors"), each with its HTTP status. */
export const TRANSFER_ERROR_STATUS = {
  INVALID_REQUEST: 400,
  INVALID_MANIFEST: 400,
  INVALID_MAC: 400,
  INVALID_HOST_NAME: 400,
  TOKEN_MISSING: 401,
  TOKEN_INVALID: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_WRONG_MAC: 403,
  WRONG_TASK_KIND: 403,
  BLOCK_NOT_IN_IMAGE: 403,
  NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  TASK_ENDED: 409,
  IMAGE_PROTECTED: 409,
  CAPTURE_CONFLICT: 409,
  MISSING_BLOCKS: 409,
  DUPLICATE_HOST_NAME: 409,
  ALREADY_REGISTERED: 409,
  IMAGE_NOT_REPLICA: 409,
  VERSION_CONFLICT: 409,
  IMAGE_IN_USE: 409,
  BODY_TOO_LARGE: 413,
  HASH_MISMATCH: 422,
  BUSY: 429,
  INTERNAL: 500,
  STORAGE_FULL: 507,
} as const;

export type TransferErrorCode = keyof typeof TRANSFER_ERROR_STATUS;

/** A refusal the client is told about as `{code, message, ...details}`. */
export class TransferError extends Error {
  readonly code: TransferErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: TransferErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'TransferError';
    this.code = code;
    this.status = TRANSFER_ERROR_STATUS[code];
    this.details = details;
  }
}

/** Token refusals are audited; other errors are not (they are not about who may do what). */
export function isTokenRefusal(code: TransferErrorCode): boolean {
  return (
    code === 'TOKEN_INVALID' ||
    code === 'TOKEN_EXPIRED' ||
    code === 'TOKEN_WRONG_MAC' ||
    code === 'TASK_ENDED' ||
    code === 'WRONG_TASK_KIND' ||
    code === 'BLOCK_NOT_IN_IMAGE'
  );
}

export function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A session waits for receivers, runs, then ends; receivers have their own per-host states. */
export const MULTICAST_SESSION_STATES = ['WAITING', 'RUNNING', 'COMPLETE', 'FAILED', 'CANCELLED'] as const;
export type MulticastSessionState = (typeof MULTICAST_SESSION_STATES)[number];

export const OPEN_SESSION_STATES: readonly MulticastSessionState[] = ['WAITING', 'RUNNING'];

export const RECEIVER_STATES = [
  'EXPECTED',
  'JOINED',
  'RECEIVING',
  'COMPLETE',
  'FAILED',
  'CANCELLED',
] as const;
export type ReceiverState = (typeof RECEIVER_STATES)[number];

/** A receiver in these states has not ended: a session's end or a cancel moves it on. */
export const ACTIVE_RECEIVER_STATES: readonly ReceiverState[] = ['EXPECTED', 'JOINED', 'RECEIVING'];

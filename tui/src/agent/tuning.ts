/**
 * Blocks in flight per client transfer: twice the engine's local depth, to hide the round trip
 * of each block request; below the server's per-task limit (16) so the client never gets BUSY.
 * Each in-flight block holds one block buffer (4 MiB by default).
 */
export const NETWORK_QUEUE_DEPTH = 12;

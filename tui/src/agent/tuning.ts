/**
 * Blocks in flight per client transfer: twice the engine's local depth, to hide the round trip
 * of each block request; at most the server's per-task limit (16) so the client never gets BUSY.
 * Each in-flight block holds one block buffer (1 MiB by default; two for a deploy).
 */
export const NETWORK_QUEUE_DEPTH = 12;

/**
 * A deploy's blocks wait on more round trips (target read, fetch, verify in a worker, write), so
 * it keeps the server's whole per-task limit in flight.
 */
export const NETWORK_DEPLOY_DEPTH = 16;

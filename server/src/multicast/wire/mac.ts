/** Keys and MACs: HMAC-SHA256 truncated to 16 bytes (PROTOCOL.md "Session ticket"). */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { KEY_BYTES, MAC_BYTES, RECEIVER_ID_BYTES } from './constants.ts';

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function randomReceiverId(): Buffer {
  return randomBytes(RECEIVER_ID_BYTES);
}

/** A receiver's own control key; only the holder of masterKey (the sender) can derive any of them. */
export function deriveReceiverKey(masterKey: Uint8Array, receiverId: Uint8Array): Buffer {
  return createHmac('sha256', masterKey).update('brume-mc-rx').update(receiverId).digest();
}

/** MAC over the concatenation of `parts`, without copying them together. */
export function computeMac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest().subarray(0, MAC_BYTES);
}

export function macMatches(key: Uint8Array, data: Uint8Array, mac: Uint8Array): boolean {
  return mac.length === MAC_BYTES && timingSafeEqual(computeMac(key, data), mac);
}

/** Keys and MACs: HMAC-SHA256 truncated to 16 bytes (PROTOCOL.md "Session ticket"). */
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
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

const BLOCK = 64;

/**
 * HMAC-SHA256 (RFC 2104) as two one-shot hashes over preallocated pads: the same MAC as
 * `createHmac`, without a native Hmac object per datagram (their creation and finalization were a
 * visible share of the per-datagram CPU and of the GC). One per key, reused for every datagram.
 */
class PaddedKey {
  /** ipad-xored key, then room for the message. */
  private inner = Buffer.alloc(BLOCK + 1500);
  /** opad-xored key, then the inner digest. */
  private readonly outer = Buffer.alloc(BLOCK + 32);

  constructor(key: Uint8Array) {
    const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
    for (let i = 0; i < BLOCK; i++) {
      this.inner[i] = (k[i] ?? 0) ^ 0x36;
      this.outer[i] = (k[i] ?? 0) ^ 0x5c;
    }
  }

  mac(parts: readonly Uint8Array[]): Buffer {
    let length = 0;
    for (const p of parts) length += p.length;
    if (BLOCK + length > this.inner.length) {
      const grown = Buffer.alloc(BLOCK + length);
      this.inner.copy(grown, 0, 0, BLOCK);
      this.inner = grown;
    }
    let at = BLOCK;
    for (const p of parts) {
      this.inner.set(p, at);
      at += p.length;
    }
    hash('sha256', this.inner.subarray(0, at), 'buffer').copy(this.outer, BLOCK);
    return hash('sha256', this.outer, 'buffer').subarray(0, MAC_BYTES);
  }
}

/** Session keys live as long as their session: a weak map drops the pads with the key. */
const padded = new WeakMap<Uint8Array, PaddedKey>();

/** MAC over the concatenation of `parts`: HMAC-SHA256 truncated to 16 bytes. */
export function computeMac(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  let k = padded.get(key);
  if (!k) {
    k = new PaddedKey(key);
    padded.set(key, k);
  }
  return k.mac(parts);
}

export function macMatches(key: Uint8Array, data: Uint8Array, mac: Uint8Array): boolean {
  return mac.length === MAC_BYTES && timingSafeEqual(computeMac(key, data), mac);
}

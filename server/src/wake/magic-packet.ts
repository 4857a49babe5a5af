/**
 * The Wake-on-LAN magic packet (AMD's "Magic Packet" white paper): six 0xFF bytes, then the
 * target's MAC sixteen times, 102 bytes. The NIC of a sleeping machine matches it anywhere in a
 * frame; UDP to a broadcast address (port 9, discard) is how every tool sends it.
 */
import { normalizeMac } from '../hosts/mac-address.ts';

export const MAGIC_PACKET_BYTES = 102;

export function magicPacket(mac: string): Buffer {
  const normal = normalizeMac(mac);
  if (!normal) throw new TypeError(`not a unicast MAC address: ${mac.slice(0, 40)}`);
  const address = Buffer.from(normal.replaceAll(':', ''), 'hex');
  const packet = Buffer.alloc(MAGIC_PACKET_BYTES, 0xff);
  for (let i = 0; i < 16; i++) address.copy(packet, 6 + i * 6);
  return packet;
}

/** The sender's two UDP sockets, opened as PROTOCOL.md "Implementation notes" describes. */
import type { Socket } from 'node:dgram';
import type { SenderOptions } from './sender-options.ts';

/** Control: bound to controlPort on the imaging interface. */
export function bindControl(s: Socket, o: SenderOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address: o.interfaceAddress, port: o.controlPort }, () => {
      s.off('error', reject);
      resolve();
    });
  });
}

/** Data: connected to group:dataPort, so a send skips the per-datagram address lookup. */
export function connectData(s: Socket, o: SenderOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address: o.interfaceAddress, port: 0 }, () => {
      s.setMulticastTTL(o.ttl);
      s.setMulticastInterface(o.interfaceAddress);
      s.setMulticastLoopback(o.loopback);
      s.connect(o.dataPort, o.group, () => {
        s.off('error', reject);
        resolve();
      });
    });
  });
}

// A minimal PXE-style DHCP probe, run inside a client network namespace:
// broadcasts DHCPDISCOVERs the way a PXE ROM or iPXE does (option 60
// "PXEClient:Arch:...", option 93 client architecture, option 97 UUID, and
// optionally user class "iPXE") and prints every DHCPOFFER it hears, as JSON.
// Unlike udhcpc it does not pick one offer: a PXE client beside a proxyDHCP
// server sees two (the site's address offer and the proxy's boot offer), and
// the test must see both.
//   node --import tsx dhcp-probe.ts <interface> <arch> <ipxe:0|1> <waitMs> [<server>:4011]
// With a boot server given, it instead sends what a UEFI PXE ROM sends after a proxyDHCP offer
// sent it to port 4011: a unicast DHCPREQUEST from its (already leased) address.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import os from 'node:os';

const [ifArg = 'eth0', archArg = '0', ipxeArg = '0', waitArg = '3000', bootServer] = process.argv.slice(2);
// The real interface MAC: a server may answer at layer 2 to chaddr, which must be ours.
const macText = readFileSync(`/sys/class/net/${ifArg}/address`, 'utf8').trim();
const mac = Buffer.from(macText.split(':').map((h) => Number.parseInt(h, 16)));
const arch = Number(archArg);
const xid = randomBytes(4);

function option(code: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([code, value.length]), value]);
}

function ipBytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

function discover(): Buffer {
  const head = Buffer.alloc(236);
  head[0] = 1; // BOOTREQUEST
  head[1] = 1; // ethernet
  head[2] = 6;
  xid.copy(head, 4);
  const own = os.networkInterfaces()[ifArg]?.find((a) => a.family === 'IPv4')?.address;
  if (bootServer !== undefined && own !== undefined)
    ipBytes(own).copy(head, 12); // ciaddr
  // broadcast flag: without an address we cannot receive unicast
  else head.writeUInt16BE(0x8000, 10);
  mac.copy(head, 28);
  const archHex = arch.toString(10).padStart(5, '0');
  const opts = [
    option(53, Buffer.from([bootServer === undefined ? 1 : 3])),
    option(60, Buffer.from(`PXEClient:Arch:${archHex}:UNDI:002001`)),
    option(93, Buffer.from([arch >> 8, arch & 0xff])),
    option(97, Buffer.concat([Buffer.from([0]), randomBytes(16)])),
    option(55, Buffer.from([1, 3, 43, 60, 66, 67])),
  ];
  if (ipxeArg === '1') opts.push(option(77, Buffer.from('iPXE')));
  return Buffer.concat([head, Buffer.from([99, 130, 83, 99]), ...opts, Buffer.from([255])]);
}

interface Offer {
  yiaddr: string;
  siaddr: string;
  file: string;
  serverId: string | null;
  vendorClass: string | null;
  messageType: number | null;
}

function ip(b: Buffer, at: number): string {
  return [b[at], b[at + 1], b[at + 2], b[at + 3]].join('.');
}

function parse(msg: Buffer): Offer | null {
  if (msg.length < 240 || msg[0] !== 2 || !msg.subarray(4, 8).equals(xid)) return null;
  const offer: Offer = {
    yiaddr: ip(msg, 16),
    siaddr: ip(msg, 20),
    file: msg.subarray(108, 236).toString('latin1').replace(/\0.*$/s, ''),
    serverId: null,
    vendorClass: null,
    messageType: null,
  };
  let at = 240;
  while (at < msg.length && msg[at] !== 255) {
    const code = msg[at] ?? 0;
    if (code === 0) {
      at += 1;
      continue;
    }
    const len = msg[at + 1] ?? 0;
    const value = msg.subarray(at + 2, at + 2 + len);
    if (code === 53) offer.messageType = value[0] ?? null;
    if (code === 54 && len === 4) offer.serverId = ip(value, 0);
    if (code === 60) offer.vendorClass = value.toString('latin1');
    if (code === 67 && offer.file === '') offer.file = value.toString('latin1');
    at += 2 + len;
  }
  return offer;
}

const offers: Offer[] = [];
const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true });
socket.on('message', (msg) => {
  const offer = parse(msg);
  if (offer) offers.push(offer);
});
socket.bind(68, '0.0.0.0', () => {
  socket.setBroadcast(true);
  const [host = '255.255.255.255', port = '67'] = bootServer?.split(':') ?? [];
  const send = () => socket.send(discover(), Number(port), host);
  send();
  const again = setInterval(send, 1000);
  setTimeout(() => {
    clearInterval(again);
    socket.close();
    process.stdout.write(`${JSON.stringify(offers)}\n`);
  }, Number(waitArg));
});

import { z } from 'zod';

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const ipv4 = z.string().regex(IPV4, 'must be an IPv4 address');
const port = z.coerce.number().int().min(1).max(65_535);
const positiveInt = z.coerce.number().int().positive();

const isMulticast = (a: string) => {
  const first = Number(a.split('.')[0]);
  return first >= 224 && first <= 239;
};

/**
 * Where multicast sessions send: the sender binds its control socket and picks the outgoing
 * interface by address (BRUME_MULTICAST_INTERFACE_ADDRESS: the server's address on the imaging
 * network), each session takes the next group from BRUME_MULTICAST_GROUP_BASE and a data/control
 * port pair from the range. TTL 1 keeps the stream on the imaging segment.
 */
export const multicastSection = z
  .object({
    BRUME_MULTICAST_INTERFACE_ADDRESS: ipv4.default('127.0.0.1'),
    BRUME_MULTICAST_GROUP_BASE: ipv4.refine(isMulticast, 'must be in 224.0.0.0/4').default('239.255.77.1'),
    BRUME_MULTICAST_PORT_MIN: port.default(47_000),
    BRUME_MULTICAST_PORT_MAX: port.default(47_199),
    BRUME_MULTICAST_TTL: z.coerce.number().int().min(1).max(255).default(1),
    BRUME_MULTICAST_STALL_SECONDS: positiveInt.default(10),
    BRUME_MULTICAST_LATE_JOIN_SECONDS: positiveInt.default(600),
    /**
     * The network namespace whose interface is the imaging network (`ip netns exec NAME`): the
     * sender runs there while the API stays where it is. Unset: the server's own namespace.
     */
    BRUME_MULTICAST_SENDER_NETNS: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a network namespace name')
      .optional(),
    /** Unset: the sender's own default (110 MiB/s); a session's rate cap can only lower it. */
    BRUME_MULTICAST_MAX_RATE: positiveInt.optional(),
    /**
     * `on`: every DATA datagram carries an HMAC too, so forged data is dropped on arrival instead of
     * failing its block's hash and being repaired (wire/PROTOCOL.md, "Data authentication"). Off by
     * default: the block hash already keeps wrong bytes off disks, and the MAC costs ~13 us of CPU
     * per datagram on the sender and on every receiver. Turn it on where the imaging network is
     * shared with machines that might flood it with forged data.
     */
    BRUME_MULTICAST_DATA_MAC: z.enum(['on', 'off']).default('off'),
  })
  .refine((e) => e.BRUME_MULTICAST_PORT_MAX >= e.BRUME_MULTICAST_PORT_MIN + 1, {
    path: ['BRUME_MULTICAST_PORT_MAX'],
    message: 'the port range needs at least two ports (data and control)',
  })
  .transform((e) => ({
    interfaceAddress: e.BRUME_MULTICAST_INTERFACE_ADDRESS,
    groupBase: e.BRUME_MULTICAST_GROUP_BASE,
    portMin: e.BRUME_MULTICAST_PORT_MIN,
    portMax: e.BRUME_MULTICAST_PORT_MAX,
    ttl: e.BRUME_MULTICAST_TTL,
    stallMs: e.BRUME_MULTICAST_STALL_SECONDS * 1000,
    lateJoinMs: e.BRUME_MULTICAST_LATE_JOIN_SECONDS * 1000,
    maxRate: e.BRUME_MULTICAST_MAX_RATE ?? null,
    senderNetns: e.BRUME_MULTICAST_SENDER_NETNS ?? null,
    dataMac: e.BRUME_MULTICAST_DATA_MAC === 'on',
  }));

export type MulticastConfig = z.output<typeof multicastSection>;

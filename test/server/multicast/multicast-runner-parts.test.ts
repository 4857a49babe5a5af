import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/src/config/config.ts';
import { NoFreeSlotError, SessionSlots } from '../../../server/src/multicast/runner/session-slots.ts';

const multicastOf = (env: Record<string, string>) => loadConfig({ NODE_ENV: 'test', ...env }, []).multicast;

describe('multicast config section', () => {
  it('Given no multicast variables, then loopback, TTL 1, a 239.x group base, a port range and 10 s stall bound', () => {
    expect(multicastOf({})).toMatchObject({
      interfaceAddress: '127.0.0.1',
      groupBase: '239.255.77.1',
      ttl: 1,
      stallMs: 10_000,
      senderNetns: null,
      maxRate: null,
      dataMac: false,
    });
    expect(multicastOf({ BRUME_MULTICAST_DATA_MAC: 'on' }).dataMac).toBe(true);
  });

  it('Given several bad values, then every one is reported at once', () => {
    let error: unknown;
    try {
      loadConfig(
        {
          BRUME_MULTICAST_INTERFACE_ADDRESS: 'eth0',
          BRUME_MULTICAST_GROUP_BASE: '10.0.0.1',
          BRUME_MULTICAST_TTL: '0',
          BRUME_MULTICAST_SENDER_NETNS: '../x',
          BRUME_MULTICAST_DATA_MAC: 'yes',
        },
        [],
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'BRUME_MULTICAST_INTERFACE_ADDRESS',
      'BRUME_MULTICAST_GROUP_BASE',
      'BRUME_MULTICAST_TTL',
      'BRUME_MULTICAST_SENDER_NETNS',
      'BRUME_MULTICAST_DATA_MAC',
    ])
      expect(problems).toContain(name);
  });

  it('Given a port range of one port, then it is refused (a session needs a data and a control port)', () => {
    expect(() =>
      loadConfig({ BRUME_MULTICAST_PORT_MIN: '5000', BRUME_MULTICAST_PORT_MAX: '5000' }, []),
    ).toThrow(/BRUME_MULTICAST_PORT_MAX/);
  });
});

describe('session slots', () => {
  const config = multicastOf({
    BRUME_MULTICAST_GROUP_BASE: '239.1.2.254',
    BRUME_MULTICAST_PORT_MIN: '6000',
    BRUME_MULTICAST_PORT_MAX: '6005',
  });

  it('Given three free slots, then each session gets its own group and port pair, and a released slot is reused', () => {
    const slots = new SessionSlots(config);
    const taken = [slots.take(), slots.take(), slots.take()];
    expect(taken.map((s) => [s.group, s.dataPort, s.controlPort])).toEqual([
      ['239.1.2.254', 6000, 6001],
      ['239.1.2.255', 6002, 6003],
      ['239.1.3.0', 6004, 6005],
    ]);
    expect(() => slots.take()).toThrow(NoFreeSlotError);
    slots.release(taken[1]!);
    expect(slots.take().dataPort).toBe(6002);
  });
});

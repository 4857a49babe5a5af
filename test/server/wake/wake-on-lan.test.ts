/**
 * Wake-on-LAN: magic packets go only to the configured targets (here a UDP socket on loopback),
 * a Wake-up task sends one per MAC of its host and completes, an imaging task wakes its host when
 * queued, and with nowhere to send a Wake-up task fails saying what to set.
 */
import dgram from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/src/config/config.ts';
import { decodeIdOf } from '../../../server/src/graphql/global-id.ts';
import { tasks } from '../../../server/src/tasks/tasks-table.ts';
import { MAGIC_PACKET_BYTES, magicPacket } from '../../../server/src/wake/magic-packet.ts';
import { interfaceBroadcast } from '../../../server/src/wake/wake-sender.ts';
import { createApiClient } from '../../../tui/src/api/graphql-client.ts';
import { createGraphqlConsolePort } from '../../../tui/src/api/graphql-console-port.ts';
import { startTestApp } from '../../support/app.ts';

const MACS = ['52:54:00:aa:00:01', '52:54:00:aa:00:02'];

/** A UDP socket on loopback standing for the broadcast domain: collects what arrives. */
async function listener() {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (m) => received.push(m));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { port: socket.address().port, received, close: () => socket.close() };
}

async function until(check: () => boolean | Promise<boolean>, ms = 5000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CREATE_HOST = `mutation($input: CreateHostInput!) {
  createHost(input: $input) { ... on CreateHostSuccess { host { id } } }
}`;
const START_TASK = `mutation($input: StartTaskInput!) {
  startTask(input: $input) { __typename ... on StartTaskSuccess { tasks { id state } } }
}`;
const TASK = 'query($id: ID!) { node(id: $id) { ... on Task { state failureReason } } }';

async function setup(env: Record<string, string>) {
  const t = await startTestApp(env);
  const operator = (await t.createUser('OPERATOR')).token;
  let n = 0;
  const host = async (macs: string[]) => {
    const res = await t.gql<{ createHost: { host: { id: string } } }>(CREATE_HOST, {
      token: operator,
      variables: { input: { name: `pc-wol-${++n}`, macs } },
    });
    return res.data?.createHost.host.id as string;
  };
  const startTask = async (hostId: string, type: string) => {
    const res = await t.gql<{ startTask: { tasks: { id: string }[] } }>(START_TASK, {
      token: operator,
      variables: { input: { hostIds: [hostId], type } },
    });
    return res.data?.startTask.tasks[0]?.id as string;
  };
  const task = async (id: string) =>
    (
      await t.gql<{ node: { state: string; failureReason: string | null } }>(TASK, {
        token: operator,
        variables: { id },
      })
    ).data?.node;
  return { t, operator, host, startTask, task };
}

describe('the magic packet', () => {
  it('Given a MAC, then the packet is six 0xFF bytes and the MAC sixteen times; a bad MAC is refused', () => {
    const packet = magicPacket('52-54-00-AB-CD-EF');
    expect(packet).toHaveLength(MAGIC_PACKET_BYTES);
    expect(packet.subarray(0, 6)).toEqual(Buffer.alloc(6, 0xff));
    for (let i = 0; i < 16; i++)
      expect(packet.subarray(6 + i * 6, 12 + i * 6).toString('hex')).toBe('525400abcdef');
    expect(() => magicPacket('ff:ff:ff:ff:ff:ff')).toThrow(/not a unicast MAC/);
    expect(() => magicPacket('52:54:00')).toThrow(TypeError);
  });
});

describe('the configuration', () => {
  it('Given targets, then each has its port (9 by default); off and unset send nowhere; the PXE interface is the default aim', () => {
    expect(loadConfig({ BRUME_WOL_TARGETS: '10.0.0.255, 192.168.1.255:7' }, []).wake.targets).toEqual({
      kind: 'list',
      targets: [
        { address: '10.0.0.255', port: 9 },
        { address: '192.168.1.255', port: 7 },
      ],
    });
    expect(loadConfig({}, []).wake.targets).toEqual({ kind: 'off' });
    expect(loadConfig({ BRUME_WOL_TARGETS: 'off', BRUME_PXE_INTERFACE: 'eth1' }, []).wake.targets).toEqual({
      kind: 'off',
    });
    expect(loadConfig({ BRUME_PXE_INTERFACE: 'eth1' }, []).wake.targets).toEqual({
      kind: 'interface',
      interface: 'eth1',
      port: 9,
    });
  });

  it('Given a bad target, then the ConfigError names each one', () => {
    let error: unknown;
    try {
      loadConfig({ BRUME_WOL_TARGETS: 'lab.example:9,10.0.0.300,10.0.0.255:70000' }, []);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    for (const p of problems) expect(p).toContain('BRUME_WOL_TARGETS');
  });

  it("Given an interface's address and netmask, then its broadcast address is the aim; a missing or loopback-only interface has none", () => {
    const info = (address: string, netmask: string, internal = false) => ({
      address,
      netmask,
      internal,
      family: 'IPv4' as const,
      mac: '52:54:00:00:00:01',
      cidr: null,
    });
    const interfaces = {
      eth1: [info('10.20.30.40', '255.255.252.0')],
      lo: [info('127.0.0.1', '255.0.0.0', true)],
    };
    expect(interfaceBroadcast('eth1', interfaces)).toBe('10.20.31.255');
    expect(interfaceBroadcast('lo', interfaces)).toBeNull();
    expect(interfaceBroadcast('eth9', interfaces)).toBeNull();
  });
});

describe('on a server with a target', () => {
  let a: Awaited<ReturnType<typeof setup>>;
  let net: Awaited<ReturnType<typeof listener>>;
  beforeAll(async () => {
    net = await listener();
    a = await setup({ BRUME_WOL_TARGETS: `127.0.0.1:${net.port}` });
  });
  afterAll(async () => {
    await a?.t.close();
    net?.close();
  });
  afterEach(() => {
    net.received.length = 0;
  });

  it('Given a host with two NICs, when a Wake-up task is queued, then one magic packet per MAC goes out and the task completes', async () => {
    // Given
    const hostId = await a.host(MACS);

    // When
    const taskId = await a.startTask(hostId, 'WAKE_UP');

    // Then
    await until(() => net.received.length >= 2);
    expect(net.received.map((p) => p.toString('hex')).sort()).toEqual(
      MACS.map((m) => magicPacket(m).toString('hex')).sort(),
    );
    await until(async () => ['FAILED', 'COMPLETE'].includes((await a.task(taskId))?.state ?? ''));
    expect(await a.task(taskId)).toEqual({ state: 'COMPLETE', failureReason: null });
  });

  it('Given an inventory queued for a sleeping host, then its host is woken at once', async () => {
    const hostId = await a.host(['52:54:00:aa:00:03']);
    await a.startTask(hostId, 'INVENTORY');
    await until(() => net.received.length >= 1);
    expect(net.received[0]).toEqual(magicPacket('52:54:00:aa:00:03'));
  });

  it('Given a Wake-up task left QUEUED by a previous run, when the server starts, then it runs', async () => {
    const hostId = await a.host(['52:54:00:aa:00:04']);
    const [row] = await a.t.db.db
      .insert(tasks)
      .values({ type: 'WAKE_UP', hostId: decodeIdOf(hostId, 'Host') ?? '' })
      .returning();
    await a.t.app.services.wake.start();
    await until(() => net.received.length >= 1);
    expect(net.received[0]).toEqual(magicPacket('52:54:00:aa:00:04'));
    expect((await a.t.app.services.tasks.getTask(row?.id ?? ''))?.state).toBe('COMPLETE');
  });
});

it("Given the console's port, when o wakes a host, then the server queues a Wake-up task and the packet goes out", async () => {
  const net = await listener();
  const a = await setup({ BRUME_WOL_TARGETS: `127.0.0.1:${net.port}` });
  const { url } = await a.t.listen();
  const api = createApiClient({ server: url.replace(/\/graphql$/, ''), token: a.operator });
  try {
    const hostId = await a.host(['52:54:00:aa:00:06']);
    expect(await createGraphqlConsolePort(api.client).wakeHosts([hostId])).toEqual({
      ok: true,
      message: 'wake-up queued',
    });
    await until(() => net.received.length >= 1);
    expect(net.received[0]).toEqual(magicPacket('52:54:00:aa:00:06'));
  } finally {
    api.close();
    await a.t.close();
    net.close();
  }
});

describe('on a server with nowhere to send', () => {
  let a: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    a = await setup({});
  });
  afterAll(async () => {
    await a?.t.close();
  });

  it('Given no target, when a Wake-up task is queued, then it fails saying what to set, and imaging tasks are queued as usual', async () => {
    const hostId = await a.host(['52:54:00:aa:00:05']);
    const taskId = await a.startTask(hostId, 'WAKE_UP');
    await until(async () => ['FAILED', 'COMPLETE'].includes((await a.task(taskId))?.state ?? ''));
    const state = await a.task(taskId);
    expect(state?.state).toBe('FAILED');
    expect(state?.failureReason).toMatch(/Wake-on-LAN is off.*BRUME_WOL_TARGETS/);
    const inventory = await a.startTask(hostId, 'INVENTORY');
    expect((await a.task(inventory))?.state).toBe('QUEUED');
  });
});

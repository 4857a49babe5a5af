/**
 * What the multicast session tests share: a transfer app on a port range of their own with one
 * stored image (a random disk of a few MiB), and starting a session for a set of hosts.
 */
import path from 'node:path';
import {
  createImage,
  randomDisk,
  rawId,
  seedImage,
  startTransferApp,
  type TransferApp,
} from '../transfer/transfer-harness.ts';

export interface MulticastApp {
  readonly a: TransferApp;
  readonly image: { readonly id: string; readonly name: string };
  /** The disk file the image was captured from. */
  readonly source: string;
  readonly blockCount: number;
}

/** An app whose multicast slots are the ports [portMin, portMax], holding one image of `mib` MiB. */
export async function startMulticastApp(portMin: number, portMax: number, mib = 2): Promise<MulticastApp> {
  const a = await startTransferApp({
    BRUME_MULTICAST_PORT_MIN: String(portMin),
    BRUME_MULTICAST_PORT_MAX: String(portMax),
  });
  const image = await createImage(a);
  const source = path.join(a.work, 'source.img');
  randomDisk(source, mib);
  const manifest = await seedImage(a, image.id, image.name, source);
  return { a, image, source, blockCount: manifest.preserved.length + manifest.blocks.length };
}

export interface StartedSession {
  /** Global ids, as the API gives them. */
  readonly session: { readonly id: string };
  readonly tasks: readonly { readonly id: string }[];
  /** Raw ids, for the services and tables. */
  readonly sessionId: string;
  readonly taskIds: readonly string[];
}

/** `startMulticast` for these hosts with minReceivers 1, as the operator. */
export async function startSession(
  m: MulticastApp,
  hostIds: readonly string[],
  maxWaitSeconds = 600,
): Promise<StartedSession> {
  const res = await m.a.gql<{ startMulticast: Omit<StartedSession, 'sessionId' | 'taskIds'> }>(
    `mutation($i: StartMulticastInput!) { startMulticast(input: $i) { ... on StartMulticastSuccess { session { id } tasks { id } } } }`,
    {
      token: m.a.operator,
      variables: { i: { hostIds, imageId: m.image.id, minReceivers: 1, maxWaitSeconds } },
    },
  );
  const out = res.data!.startMulticast;
  return { ...out, sessionId: rawId(out.session.id), taskIds: out.tasks.map((t) => rawId(t.id)) };
}

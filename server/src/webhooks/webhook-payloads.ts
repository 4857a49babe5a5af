/** The `data` of each event (WEBHOOKS.md "Events"), read when the event happens. */
import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../db/database.ts';
import { encodeGlobalID } from '../graphql/global-id.ts';
import type { HostRecord } from '../hosts/host-store.ts';
import { hostMacs, hosts } from '../hosts/hosts-table.ts';
import { images, imageVersions } from '../images/images-table.ts';
import type { TaskRow } from '../tasks/tasks-table.ts';

const iso = (d: Date | null) => d?.toISOString() ?? null;

export async function taskData(db: Executor, task: TaskRow): Promise<Record<string, unknown>> {
  const [host] = await db.select({ name: hosts.name }).from(hosts).where(eq(hosts.id, task.hostId));
  const macs = await db
    .select({ mac: hostMacs.mac })
    .from(hostMacs)
    .where(eq(hostMacs.hostId, task.hostId))
    .orderBy(asc(hostMacs.position));
  const [image] = task.imageId
    ? await db.select({ name: images.name }).from(images).where(eq(images.id, task.imageId))
    : [];
  const [version] = task.imageVersionId
    ? await db
        .select({ number: imageVersions.number })
        .from(imageVersions)
        .where(eq(imageVersions.id, task.imageVersionId))
    : [];
  return {
    task: {
      id: encodeGlobalID('Task', task.id),
      type: task.type,
      state: task.state,
      failureReason: task.failureReason,
      host: {
        id: encodeGlobalID('Host', task.hostId),
        name: host?.name ?? null,
        macs: macs.map((m) => m.mac),
      },
      image: task.imageId && image ? { id: encodeGlobalID('Image', task.imageId), name: image.name } : null,
      imageVersion: version?.number ?? null,
      createdAt: iso(task.createdAt),
      startedAt: iso(task.startedAt),
      endedAt: iso(task.endedAt),
      bytesDone: task.bytesDone,
      bytesTotal: task.bytesTotal,
    },
  };
}

export const hostData = (host: HostRecord): Record<string, unknown> => ({
  host: {
    id: encodeGlobalID('Host', host.id),
    name: host.name,
    macs: host.macs,
    pending: host.pending,
    createdAt: iso(host.createdAt),
  },
});

export interface ReplicationFailure {
  readonly node: { readonly id: string; readonly name: string; readonly url: string };
  readonly image: { readonly id: string; readonly name: string; readonly version: number };
  readonly error: string;
}

/** A verification found chunks of an image version missing or corrupt (storage/store-verify.ts). */
export interface ImageDamage {
  readonly image: { readonly id: string; readonly name: string; readonly version: number };
  readonly verification: { readonly id: string; readonly chunksTotal: number; readonly problemCount: number };
  /** Why the version could not be read at all, when that was the damage. */
  readonly reason: string | null;
}

export const imageDamageData = (d: ImageDamage): Record<string, unknown> => ({
  image: { ...d.image, id: encodeGlobalID('Image', d.image.id) },
  verification: { ...d.verification, id: encodeGlobalID('ImageVerification', d.verification.id) },
  reason: d.reason,
});

export const replicationData = (f: ReplicationFailure): Record<string, unknown> => ({
  node: { ...f.node, id: encodeGlobalID('StorageNode', f.node.id) },
  image: { ...f.image, id: encodeGlobalID('Image', f.image.id) },
  error: f.error,
});

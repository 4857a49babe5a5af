import { builder } from '../graphql/builder.ts';
import { defineErrorType } from '../graphql/errors.ts';
import { encodeGlobalID } from '../graphql/global-id.ts';
import { orderByIds } from '../graphql/load-by-ids.ts';
import {
  DuplicateHostNameError,
  DuplicateMacError,
  HostBusyError,
  HostNotFoundError,
  HostPendingError,
  InvalidHostNameError,
  InvalidMacError,
} from './host-errors.ts';
import { HOST_EVENT_KINDS, type HostEvent } from './host-events.ts';
import { INVENTORY_INT_FIELDS, INVENTORY_TEXT_FIELDS } from './host-inventory-service.ts';
import type { HostRecord } from './host-store.ts';
import type { HostInventoryRow, InventoryDisk, InventoryNic } from './hosts-table.ts';

export const HostRef = builder.objectRef<HostRecord>('Host');
export const HostEventKindEnum = builder.enumType('HostEventKind', { values: HOST_EVENT_KINDS });

const InventoryDiskRef = builder.objectRef<InventoryDisk>('InventoryDisk').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    model: t.exposeString('model', { nullable: true }),
    firmware: t.exposeString('firmware', { nullable: true }),
    serial: t.exposeString('serial', { nullable: true }),
    sizeBytes: t.expose('sizeBytes', { type: 'ByteCount', nullable: true }),
    device: t.exposeString('device', { nullable: true }),
    removable: t.exposeBoolean('removable', { nullable: true }),
  }),
});

const InventoryNicRef = builder.objectRef<InventoryNic>('InventoryNic').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    name: t.exposeString('name', { nullable: true }),
    mac: t.exposeString('mac', { nullable: true }),
    driver: t.exposeString('driver', { nullable: true }),
    speedMbps: t.exposeInt('speedMbps', { nullable: true }),
  }),
});

export const HostInventoryRef = builder.objectRef<HostInventoryRow>('HostInventory').implement({
  authScopes: { viewer: true },
  description: "The host's last reported hardware inventory (FOG's inventory fields).",
  fields: (t) => ({
    ...Object.fromEntries(
      INVENTORY_TEXT_FIELDS.map((name) => [name, t.exposeString(name, { nullable: true })]),
    ),
    ...Object.fromEntries(INVENTORY_INT_FIELDS.map((name) => [name, t.exposeInt(name, { nullable: true })])),
    memoryBytes: t.expose('memoryBytes', { type: 'ByteCount', nullable: true }),
    disks: t.field({ type: [InventoryDiskRef], resolve: (i) => i.disks }),
    nics: t.field({ type: [InventoryNicRef], resolve: (i) => i.nics }),
    otherTags: t.stringList({ resolve: (i) => i.otherTags }),
    raw: t.expose('raw', { type: 'JSON', description: "The client's whole report." }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.node(HostRef, {
  authScopes: { viewer: true },
  id: { resolve: (h) => h.id },
  loadMany: async (ids, ctx) => orderByIds(ids, await ctx.services.hosts.getHosts(ids), (h) => h.id),
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    macs: t.exposeStringList('macs', { description: 'Normalized (52:54:00:ab:cd:ef), primary first.' }),
    systemUuid: t.exposeString('systemUuid', { nullable: true }),
    pending: t.exposeBoolean('pending', { description: 'Registered from the boot menu, awaiting approval.' }),
    primaryDisk: t.exposeString('primaryDisk', { nullable: true }),
    primaryDiskSerial: t.exposeString('primaryDiskSerial', { nullable: true }),
    lastSeenAt: t.expose('lastSeenAt', { type: 'DateTime', nullable: true }),
    online: t.exposeBoolean('online'),
    lastAddress: t.exposeString('lastAddress', {
      nullable: true,
      description: 'The address its last boot request or check-in came from.',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    inventory: t.field({
      type: HostInventoryRef,
      nullable: true,
      resolve: (h, _a, ctx) => ctx.services.hosts.inventory.getInventory(h.id),
    }),
  }),
});

export const HostEventRef = builder.objectRef<HostEvent>('HostEvent').implement({
  authScopes: { viewer: true },
  fields: (t) => ({
    kind: t.expose('kind', { type: HostEventKindEnum }),
    host: t.expose('host', { type: HostRef }),
  }),
});

const hostGlobalId = (id: string) => encodeGlobalID('Host', id);

defineErrorType(InvalidMacError, 'InvalidMacError', (t) => ({
  mac: t.exposeString('mac', { description: 'The refused input (truncated).' }),
  reason: t.exposeString('reason', { description: 'MALFORMED, MULTICAST, BROADCAST, ZERO or NONE.' }),
}));
defineErrorType(InvalidHostNameError, 'InvalidHostNameError', (t) => ({ name: t.exposeString('hostName') }));
defineErrorType(DuplicateHostNameError, 'DuplicateHostNameError', (t) => ({
  name: t.exposeString('hostName'),
}));
defineErrorType(DuplicateMacError, 'DuplicateMacError', (t) => ({ mac: t.exposeString('mac') }));
defineErrorType(HostNotFoundError, 'HostNotFoundError');
defineErrorType(HostBusyError, 'HostBusyError', (t) => ({
  hostId: t.id({ resolve: (e) => hostGlobalId(e.hostId) }),
}));
defineErrorType(HostPendingError, 'HostPendingError', (t) => ({
  hostId: t.id({ resolve: (e) => hostGlobalId(e.hostId) }),
}));

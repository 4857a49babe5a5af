import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  snakeCase,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const hosts = snakeCase.table(
  'hosts',
  {
    id: uuid().primaryKey().defaultRandom(),
    name: text().notNull(),
    description: text().notNull().default(''),
    /** SMBIOS system UUID, lower case; a second identity besides the MACs. */
    systemUuid: uuid(),
    /** Registered from the boot menu and not yet approved by an operator (FOG's "pending"). */
    pending: boolean().notNull().default(false),
    /** Which disk to image, as the client names it (`/dev/nvme0n1`) or by index; null = first fixed disk. */
    primaryDisk: text(),
    /** When set, the client refuses any disk whose serial differs. */
    primaryDiskSerial: text(),
    lastSeenAt: timestamp({ withTimezone: true }),
    /** Where its last contact came from (boot request, check-in): the machine on the network. */
    lastAddress: text(),
    online: boolean().notNull().default(false),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  // NetBIOS names ignore case: `PC-01` and `pc-01` are the same machine name.
  (t) => [uniqueIndex('hosts_name_lower_key').on(sql`lower(${t.name})`), index().on(t.createdAt)],
);
export type HostRow = typeof hosts.$inferSelect;

export const hostMacs = snakeCase.table(
  'host_macs',
  {
    /** Normalized `52:54:00:ab:cd:ef`: unique across all hosts. */
    mac: text().primaryKey(),
    hostId: uuid()
      .notNull()
      .references(() => hosts.id, { onDelete: 'cascade' }),
    /** Order the MACs were given in: the first is the primary one. */
    position: integer().notNull().default(0),
  },
  (t) => [index().on(t.hostId)],
);
export type HostMacRow = typeof hostMacs.$inferSelect;

export interface InventoryDisk {
  model?: string | null;
  firmware?: string | null;
  serial?: string | null;
  sizeBytes?: number | null;
  device?: string | null;
  removable?: boolean | null;
}
export interface InventoryNic {
  name?: string | null;
  mac?: string | null;
  driver?: string | null;
  speedMbps?: number | null;
}

/** The last inventory a host reported (FOG's "Inventory fields"): key columns plus the full report. */
export const hostInventories = snakeCase.table('host_inventories', {
  hostId: uuid()
    .primaryKey()
    .references(() => hosts.id, { onDelete: 'cascade' }),
  systemManufacturer: text(),
  systemProduct: text(),
  systemVersion: text(),
  systemSerial: text(),
  systemUuid: text(),
  chassisType: text(),
  biosVendor: text(),
  biosVersion: text(),
  biosDate: text(),
  boardManufacturer: text(),
  boardProduct: text(),
  boardVersion: text(),
  boardSerial: text(),
  boardAssetTag: text(),
  cpuManufacturer: text(),
  cpuModel: text(),
  cpuCurrentSpeedMhz: integer(),
  cpuMaxSpeedMhz: integer(),
  cpuCores: integer(),
  memoryBytes: bigint({ mode: 'number' }),
  disks: jsonb().$type<InventoryDisk[]>().notNull().default([]),
  nics: jsonb().$type<InventoryNic[]>().notNull().default([]),
  primaryUser: text(),
  otherTags: jsonb().$type<string[]>().notNull().default([]),
  /** The client's whole report, for fields not promoted to columns yet. */
  raw: jsonb().$type<Record<string, unknown>>().notNull().default({}),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
export type HostInventoryRow = typeof hostInventories.$inferSelect;

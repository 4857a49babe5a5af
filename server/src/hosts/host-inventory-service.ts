import { eq } from 'drizzle-orm';
import type { ServiceDeps } from '../app/service-deps.ts';
import {
  type HostInventoryRow,
  hostInventories,
  type InventoryDisk,
  type InventoryNic,
} from './hosts-table.ts';

/** What the imaging client reports (FOG's inventory fields); every field optional. */
export interface InventoryReport {
  readonly systemManufacturer?: string | null;
  readonly systemProduct?: string | null;
  readonly systemVersion?: string | null;
  readonly systemSerial?: string | null;
  readonly systemUuid?: string | null;
  readonly chassisType?: string | null;
  readonly biosVendor?: string | null;
  readonly biosVersion?: string | null;
  readonly biosDate?: string | null;
  readonly boardManufacturer?: string | null;
  readonly boardProduct?: string | null;
  readonly boardVersion?: string | null;
  readonly boardSerial?: string | null;
  readonly boardAssetTag?: string | null;
  readonly cpuManufacturer?: string | null;
  readonly cpuModel?: string | null;
  readonly cpuCurrentSpeedMhz?: number | null;
  readonly cpuMaxSpeedMhz?: number | null;
  readonly cpuCores?: number | null;
  readonly memoryBytes?: number | null;
  readonly disks?: readonly InventoryDisk[];
  readonly nics?: readonly InventoryNic[];
  readonly primaryUser?: string | null;
  readonly otherTags?: readonly string[];
}

/** Free-text inventory fields, shared with the GraphQL type so the two lists never drift. */
export const INVENTORY_TEXT_FIELDS = [
  'systemManufacturer',
  'systemProduct',
  'systemVersion',
  'systemSerial',
  'systemUuid',
  'chassisType',
  'biosVendor',
  'biosVersion',
  'biosDate',
  'boardManufacturer',
  'boardProduct',
  'boardVersion',
  'boardSerial',
  'boardAssetTag',
  'cpuManufacturer',
  'cpuModel',
  'primaryUser',
] as const;

/** Integer inventory fields (memoryBytes is exposed as a ByteCount, the others as Int). */
export const INVENTORY_INT_FIELDS = ['cpuCurrentSpeedMhz', 'cpuMaxSpeedMhz', 'cpuCores'] as const;

const SCALAR_FIELDS = [...INVENTORY_TEXT_FIELDS, ...INVENTORY_INT_FIELDS, 'memoryBytes'] as const;

export function createHostInventoryService({ db, now }: ServiceDeps) {
  return {
    async getInventory(hostId: string): Promise<HostInventoryRow | undefined> {
      const [row] = await db.select().from(hostInventories).where(eq(hostInventories.hostId, hostId));
      return row;
    },

    /** Replaces the host's inventory with the latest report (the client sends it whole). */
    async saveInventory(hostId: string, report: InventoryReport): Promise<void> {
      // Every column is set (null when absent): a field the new report lacks must not survive from the old one.
      const scalars = Object.fromEntries(SCALAR_FIELDS.map((key) => [key, report[key] ?? null]));
      const values = {
        ...scalars,
        disks: [...(report.disks ?? [])],
        nics: [...(report.nics ?? [])],
        otherTags: [...(report.otherTags ?? [])],
        raw: { ...report } as Record<string, unknown>,
        updatedAt: now(),
      };
      await db
        .insert(hostInventories)
        .values({ hostId, ...values })
        .onConflictDoUpdate({ target: hostInventories.hostId, set: values });
    },
  };
}

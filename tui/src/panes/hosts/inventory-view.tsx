/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import type { InventoryReport } from '../../client/agent-port.ts';
import { formatBytes } from '../../ui/format.ts';
import { sanitizeText } from '../../ui/sanitize.ts';
import { truncateToWidth } from '../../ui/text-width.ts';

export interface InventoryViewProps {
  /** The inventory (client-supplied: every text is sanitized). */
  readonly inventory: InventoryReport;
  readonly width: number;
  /** Rows available; lines beyond are cut. */
  readonly height: number;
}

const t = (v: string | number | null | undefined) =>
  v === null || v === undefined || v === '' ? '—' : sanitizeText(String(v));

/** The lines of an inventory, FOG's fields grouped as its host page shows them. */
export function inventoryLines(inv: InventoryReport): string[] {
  const lines = [
    `System   ${t(inv.systemManufacturer)} ${t(inv.systemProduct)} ${t(inv.systemVersion)}  serial ${t(inv.systemSerial)}`,
    `UUID     ${t(inv.systemUuid)}  chassis ${t(inv.chassisType)}`,
    `BIOS     ${t(inv.biosVendor)} ${t(inv.biosVersion)} (${t(inv.biosDate)})`,
    `Board    ${t(inv.boardManufacturer)} ${t(inv.boardProduct)} ${t(inv.boardVersion)}  serial ${t(inv.boardSerial)}`,
    `CPU      ${t(inv.cpuManufacturer)} ${t(inv.cpuModel)}  ${t(inv.cpuCores)} cores  ${t(inv.cpuMaxSpeedMhz)} MHz max`,
    `Memory   ${formatBytes(inv.memoryBytes)}`,
  ];
  for (const d of inv.disks ?? []) {
    lines.push(
      `Disk     ${t(d.device)} ${t(d.model)}  serial ${t(d.serial)}  fw ${t(d.firmware)}  ${formatBytes(d.sizeBytes)}${d.removable ? '  removable' : ''}`,
    );
  }
  for (const n of inv.nics ?? [])
    lines.push(
      `NIC      ${t(n.name)} ${t(n.mac)} ${t(n.driver)}${n.speedMbps ? ` ${n.speedMbps} Mb/s` : ''}`,
    );
  return lines;
}

/** A host's hardware inventory, one line per fact. */
export function InventoryView({ inventory, width, height }: InventoryViewProps) {
  return (
    <Box flexDirection="column" width={width}>
      {inventoryLines(inventory)
        .slice(0, Math.max(1, height))
        .map((l, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed line order
          <Text key={i} wrap="truncate">
            {truncateToWidth(l, width)}
          </Text>
        ))}
    </Box>
  );
}

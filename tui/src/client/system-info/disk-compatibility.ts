/**
 * "Client System Information (Compatibility)": what Brume can image on each partition of the target
 * disk, read with the imaging engine's own readers (the same code a capture runs), read-only.
 * Loaded lazily so the menu does not pay for the engine until this row is chosen.
 */
import { formatBytes } from '../../ui/format.ts';

export interface PartitionCompatibility {
  readonly number: number;
  readonly start: number;
  readonly size: number;
  readonly typeId: string;
  readonly fs: string;
  /** Bytes a capture reads (used clusters); the whole partition for unknown content. */
  readonly usedBytes: number;
  /** `used blocks only`, `every byte (unknown content)`, or why the reader fell back. */
  readonly mode: string;
}

export interface DiskCompatibility {
  readonly path: string;
  readonly sizeBytes: number;
  readonly sectorSize: number;
  readonly table: string;
  readonly model: string | null;
  readonly serial: string | null;
  readonly removable: boolean;
  readonly partitions: readonly PartitionCompatibility[];
}

/** Reads the disk's table and analyses every partition's filesystem. */
export async function surveyCompatibility(path: string): Promise<DiskCompatibility> {
  const { openDisk } = await import('@brume/server/imaging/disk/open-disk.ts');
  const { readDiskLayout } = await import('@brume/server/imaging/partitions/read-layout.ts');
  const { analyzePartition } = await import('@brume/server/imaging/filesystems/analyze-partition.ts');
  const disk = await openDisk(path);
  try {
    const layout = await readDiskLayout(disk);
    const partitions: PartitionCompatibility[] = [];
    for (const p of layout.partitions) {
      let fs = 'unknown';
      let usedBytes = p.size;
      let mode = 'every byte (unknown content)';
      try {
        const used = await analyzePartition(disk, p);
        fs = used.fs;
        usedBytes = used.usedRanges().reduce((n, r) => n + r.length, 0);
        if (used.fallbackReason) mode = `every byte: ${used.fallbackReason}`;
        else if (used.fs !== 'unknown') mode = 'used blocks only';
      } catch (e) {
        mode = `unreadable: ${e instanceof Error ? e.message : String(e)}`;
      }
      partitions.push({
        number: p.number,
        start: p.start,
        size: p.size,
        typeId: p.typeId,
        fs,
        usedBytes,
        mode,
      });
    }
    return {
      path,
      sizeBytes: disk.size,
      sectorSize: disk.sectorSize,
      table: layout.table,
      model: disk.identity.model ?? null,
      serial: disk.identity.serial ?? null,
      removable: disk.identity.removable ?? false,
      partitions,
    };
  } finally {
    await disk.close();
  }
}

/** Lines for the screen (and for plain output). */
export function compatibilityLines(c: DiskCompatibility): string[] {
  const lines = [
    `Disk ${c.path}  ${formatBytes(c.sizeBytes)}  ${c.sectorSize} B sectors  table ${c.table.toUpperCase()}`,
    `     model ${c.model ?? '—'}  serial ${c.serial ?? '—'}${c.removable ? '  REMOVABLE (Brume will not deploy to it)' : ''}`,
  ];
  for (const p of c.partitions) {
    lines.push(
      `  p${p.number}  ${p.fs.padEnd(7)} ${formatBytes(p.size).padStart(10)}  used ${formatBytes(p.usedBytes).padStart(10)}  ${p.mode}`,
    );
  }
  if (c.partitions.length === 0) lines.push('  (no partitions)');
  return lines;
}

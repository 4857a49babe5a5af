/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import type { ImageRow } from '../../console/console-model.ts';
import type { ConsoleData } from '../../console/use-console-data.ts';
import type { ConsoleUi } from '../../console/use-console-state.ts';
import { formatBytes } from '../../ui/format.ts';
import { sanitizeText } from '../../ui/sanitize.ts';
import { Table } from '../../ui/table.tsx';

export interface ImagesPaneProps {
  readonly data: ConsoleData;
  readonly ui: ConsoleUi;
  readonly width: number;
  readonly height: number;
}

/** Bytes saved by deduplication: the versions' logical size minus what the store holds for them. */
export function dedupSavings(image: ImageRow): { logical: number; stored: number; saved: number } | null {
  let logical = 0;
  let stored = 0;
  for (const v of image.versions) {
    if (v.sizeBytes === null || v.storedBytes === null) return null;
    logical += v.sizeBytes;
    stored += v.storedBytes;
  }
  return image.versions.length === 0 ? null : { logical, stored, saved: Math.max(0, logical - stored) };
}

function savingsText(image: ImageRow): string {
  const s = dedupSavings(image);
  if (s === null || s.logical === 0) return '—';
  return `${formatBytes(s.saved)} (${Math.round((s.saved / s.logical) * 100)}%)`;
}

/** Images with their versions, sizes and dedup savings; Enter lists the versions. */
export function ImagesPane({ data, ui, width, height }: ImagesPaneProps) {
  const image = ui.detail === null ? undefined : data.images.find((i) => i.id === ui.detail);
  if (image) {
    return (
      <Box flexDirection="column" width={width}>
        <Text
          bold
        >{`Image ${sanitizeText(image.name)}  ${image.osType} ${image.imageType}${image.protected ? '  [protected]' : ''}`}</Text>
        <Table
          columns={[
            { title: 'Version', width: 0 },
            { title: 'Created', width: 16 },
            { title: 'Size', width: 10, align: 'right' },
            { title: 'Stored', width: 10, align: 'right' },
            { title: 'Blocks', width: 8, align: 'right' },
            { title: 'Cur', width: 3 },
          ]}
          rows={image.versions.map((v) => ({
            key: v.id,
            cells: [
              v.id,
              (v.createdAt ?? '').slice(0, 16).replace('T', ' '),
              formatBytes(v.sizeBytes),
              formatBytes(v.storedBytes),
              v.blockCount === null ? '—' : String(v.blockCount),
              v.current ? '*' : '',
            ],
          }))}
          selected={-1}
          width={width}
          height={height - 1}
          empty="no version captured yet"
        />
      </Box>
    );
  }
  const rows = data.images.map((i) => {
    const current = i.versions.find((v) => v.current);
    return {
      key: i.id,
      cells: [
        `${i.protected ? 'P' : ' '} ${i.name}`,
        i.osType,
        String(i.versions.length),
        formatBytes(current?.sizeBytes),
        savingsText(i),
      ],
    };
  });
  return (
    <Table
      columns={[
        { title: '  Name', width: 0 },
        { title: 'OS', width: 10 },
        { title: 'Vers', width: 4, align: 'right' },
        { title: 'Current', width: 10, align: 'right' },
        { title: 'Dedup saved', width: 16, align: 'right' },
      ]}
      rows={rows}
      selected={Math.min(ui.selected.images, rows.length - 1)}
      width={width}
      height={height}
      empty="no images yet"
    />
  );
}

/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import type { ImageStoreRow } from '../../console/console-model.ts';
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

/** Dedup savings as the server counts them (`storeStats`): shared chunks of its versions. */
export function savingsText(row: ImageStoreRow | undefined): string {
  if (!row || row.storedBytes === 0) return '—';
  return `${formatBytes(row.dedupSavedBytes)} (${Math.round((row.dedupSavedBytes / row.storedBytes) * 100)}%)`;
}

/** Images with their versions, sizes and dedup savings; Enter lists the versions. */
export function ImagesPane({ data, ui, width, height }: ImagesPaneProps) {
  const image = ui.detail === null ? undefined : data.images.find((i) => i.id === ui.detail);
  if (image) {
    const share = data.store?.images?.[image.id];
    return (
      <Box flexDirection="column" width={width}>
        <Text
          bold
        >{`Image ${sanitizeText(image.name)}  ${image.osType} ${image.imageType}${image.protected ? '  [protected]' : ''}${image.keepVersions === null ? '' : `  keeps ${image.keepVersions}`}`}</Text>
        {share && (
          <Text>{`Stored alone ${formatBytes(share.storedBytes)}   dedup saves ${savingsText(share)}   deleting frees ${formatBytes(share.uniqueBytes)}`}</Text>
        )}
        <Table
          columns={[
            { title: 'Version', width: 0 },
            { title: 'Created', width: 16 },
            { title: 'Size', width: 10, align: 'right' },
            { title: 'Stored', width: 10, align: 'right' },
            { title: 'Blocks', width: 8, align: 'right' },
            { title: 'Check', width: 10 },
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
              v.check,
              v.current ? '*' : '',
            ],
          }))}
          selected={-1}
          width={width}
          height={height - (share ? 2 : 1)}
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
        savingsText(data.store?.images?.[i.id]),
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

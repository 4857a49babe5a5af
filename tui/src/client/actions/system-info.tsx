/** @jsxRuntime automatic */
import { Spinner } from '@inkjs/ui';
import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { inventoryLines } from '../../panes/hosts/inventory-view.tsx';
import { sanitizeText } from '../../ui/sanitize.ts';
import { truncateToWidth } from '../../ui/text-width.ts';
import { compatibilityLines, surveyCompatibility } from '../system-info/disk-compatibility.ts';
import { type ActionContext, message } from './action-context.ts';
import { ActionFrame, useEscBack } from './simple-actions.tsx';

/** Client System Information (Compatibility): hardware, disks, NICs, what Brume can image. */
export function SystemInfo({ ctx }: { ctx: ActionContext }) {
  const [lines, setLines] = useState<string[] | null>(null);
  useEscBack(ctx, false);
  useEffect(() => {
    const inventory = ctx.agent
      .collectInventory()
      .then(inventoryLines, (e) => [`Inventory: ✗ ${message(e)}`]);
    const disk = surveyCompatibility(ctx.agent.diskPath).then(compatibilityLines, (e) => [
      `Target disk: ✗ ${message(e)}`,
    ]);
    Promise.all([inventory, disk]).then(([a, b]) =>
      setLines([...a, ' ', 'What Brume can image on the target disk:', ...b]),
    );
  }, [ctx]);
  return (
    <ActionFrame title="Client System Information (Compatibility)" width={ctx.width}>
      {lines === null ? (
        <Spinner label="Reading the hardware and the disk…" />
      ) : (
        <Box flexDirection="column">
          {lines.slice(0, Math.max(1, ctx.height - 5)).map((l, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: fixed line order
            <Text key={i} wrap="truncate">
              {truncateToWidth(sanitizeText(l), ctx.width - 4)}
            </Text>
          ))}
        </Box>
      )}
    </ActionFrame>
  );
}

/** @jsxRuntime automatic */
import { Text } from 'ink';
import {
  deliveryText,
  localMinute,
  type WebhookRow,
  webhookEventsText,
} from '../../console/console-model.ts';
import type { ConsoleData } from '../../console/use-console-data.ts';
import type { ConsoleUi } from '../../console/use-console-state.ts';
import { Table, type TableColumn, type TableRow } from '../../ui/table.tsx';
import { useTheme } from '../../ui/theme.ts';

export interface WebhooksPaneProps {
  readonly data: ConsoleData;
  readonly ui: ConsoleUi;
  readonly width: number;
  readonly height: number;
}

/** When its newest delivery was delivered, else when its event happened; local time. */
function whenText(w: WebhookRow, wide: boolean): string {
  const d = w.lastDelivery;
  if (!d) return '—';
  const text = localMinute(new Date(d.deliveredAt ?? d.createdAt));
  return wide ? text : text.slice(5); // 11-27 10:02
}

/**
 * Webhooks (ADMIN): where each one posts, what it wants, whether it is on, and how its newest
 * delivery went (the receiver's status or the error). Created through the API.
 */
export function WebhooksPane({ data, ui, width, height }: WebhooksPaneProps) {
  const theme = useTheme();
  if (data.webhooks === null)
    return <Text color={theme.color('muted')}> webhooks are for ADMINs: your role cannot see them</Text>;
  // At 80 columns the URL and the events are cut shorter: the last delivery says more.
  const wide = width >= 100;
  const columns: TableColumn[] = [
    { title: 'Webhook', width: wide ? 14 : 10 },
    { title: 'URL', width: wide ? 0 : 14 },
    { title: 'Events', width: wide ? 20 : 9 },
    { title: wide ? 'State' : 'On', width: wide ? 8 : 3 },
    { title: 'Last delivery', width: 0 },
    { title: 'When', width: wide ? 16 : 11 },
  ];
  const on = wide ? ['enabled', 'disabled'] : ['on', 'off'];
  const rows: TableRow[] = data.webhooks.map((w) => ({
    key: w.id,
    tone: w.enabled ? undefined : 'muted',
    cells: [
      w.name,
      // Narrow, https:// is taken as read; a plain http:// (unencrypted) stays in sight.
      wide ? w.url : w.url.replace(/^https:\/\//, ''),
      webhookEventsText(w.events),
      w.enabled ? on[0]! : on[1]!,
      w.lastDelivery ? deliveryText(w.lastDelivery) : 'none yet',
      whenText(w, wide),
    ],
  }));
  return (
    <Table
      columns={columns}
      rows={rows}
      selected={Math.min(ui.selected.webhooks, rows.length - 1)}
      width={width}
      height={height}
      empty="no webhooks (createWebhook in the API)"
    />
  );
}

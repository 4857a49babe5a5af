/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import { sanitizeText } from '../../ui/sanitize.ts';
import { truncateToWidth } from '../../ui/text-width.ts';
import { useTheme } from '../../ui/theme.ts';
import { menuHeader } from './menu-rows.ts';
import type { MenuState } from './use-menu-state.ts';

export interface MenuScreenProps {
  readonly state: MenuState;
  readonly width: number;
  /** This machine's MAC, shown under the header as FOG's menu does. */
  readonly mac: string;
}

/** FOG's boot menu: header by host state, the rows, the countdown to the default row. */
export function MenuScreen({ state, width, mac }: MenuScreenProps) {
  const theme = useTheme();
  const inner = width - 4;
  return (
    <Box
      flexDirection="column"
      width={width}
      borderStyle="double"
      borderColor={theme.color('accent')}
      paddingX={1}
    >
      <Text bold color={theme.color(state.status.kind === 'registered' ? 'good' : 'warn')}>
        {truncateToWidth(sanitizeText(menuHeader(state.status)), inner)}
      </Text>
      <Text color={theme.color('muted')}>
        {truncateToWidth(`Brume boot menu · ${sanitizeText(mac)}`, inner)}
      </Text>
      <Text> </Text>
      {state.rows.map((row, i) => {
        const selected = i === state.selected;
        return (
          <Text key={row.id} inverse={selected && !theme.noColor} wrap="truncate">
            {truncateToWidth(
              `${selected ? theme.pointer : ' '} ${row.label}${row.login ? '  (login)' : ''}`,
              inner,
            )}
          </Text>
        );
      })}
      <Text> </Text>
      {state.countdown !== null ? (
        <Text
          color={theme.color('warn')}
        >{`Boot from hard disk in ${state.countdown}s · any key stops`}</Text>
      ) : (
        <Text color={theme.color('muted')}>↑/↓ choose · Enter select</Text>
      )}
      {state.notice !== null && (
        <Text color={theme.color('info')}>{truncateToWidth(sanitizeText(state.notice), inner)}</Text>
      )}
    </Box>
  );
}

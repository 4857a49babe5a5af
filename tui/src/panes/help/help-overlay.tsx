/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import { helpSections, type Keymap } from '../../ui/keymap.ts';
import { useTheme } from '../../ui/theme.ts';

export interface HelpOverlayProps<C extends string> {
  /** The keymap the help is generated from (the same one the key handler uses). */
  readonly keymap: Keymap<C>;
  readonly width: number;
}

/** The longest scope ("dashboard", "schedules") and a space. */
const LABEL_WIDTH = 10;

/** `?`: every key binding, grouped by where it applies, generated from the keymap. */
export function HelpOverlay<C extends string>({ keymap, width }: HelpOverlayProps<C>) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" width={width} borderStyle="round" borderColor={theme.color('accent')}>
      <Text bold>Keys (Esc or ? closes)</Text>
      {helpSections(keymap).map(([scope, rows]) => (
        <Text key={scope} wrap="wrap">
          <Text color={theme.color('accent')}>{`${scope.padEnd(LABEL_WIDTH)}`}</Text>
          {rows.map(([k, h]) => `${k} ${h}`).join(' · ')}
        </Text>
      ))}
    </Box>
  );
}

/** @jsxRuntime automatic */
import { PasswordInput, TextInput } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import { useState } from 'react';
import { sanitizeText } from '../../ui/sanitize.ts';
import { useTheme } from '../../ui/theme.ts';

export interface LoginFormProps {
  /** Why the login is asked (the row's label). */
  readonly purpose: string;
  /** Last refusal, shown above the form. */
  readonly error: string | null;
  /** Called with the credentials; the parent calls the server. */
  readonly onSubmit: (username: string, password: string) => void;
  readonly onCancel: () => void;
  /** @default 80 */
  readonly width?: number;
}

/** Operator login asked before a state-changing row (FOG since 2022). */
export function LoginForm({ purpose, error, onSubmit, onCancel, width = 80 }: LoginFormProps) {
  const theme = useTheme();
  const [username, setUsername] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useInput((_, key) => key.escape && onCancel());
  return (
    <Box flexDirection="column" width={width} borderStyle="round" paddingX={1}>
      <Text bold>{`${sanitizeText(purpose)}: operator login`}</Text>
      {error !== null && <Text color={theme.color('bad')}>{`✗ ${sanitizeText(error)}`}</Text>}
      {username === null ? (
        <Box key={`u${attempt}`}>
          <Text>Username: </Text>
          <TextInput onSubmit={(v) => v.trim() && setUsername(v.trim())} />
        </Box>
      ) : (
        <Box key={`p${attempt}`}>
          <Text>{`Username: ${sanitizeText(username)}   Password: `}</Text>
          <PasswordInput
            onSubmit={(p) => {
              onSubmit(username, p);
              setUsername(null);
              setAttempt((n) => n + 1);
            }}
          />
        </Box>
      )}
      <Text color={theme.color('muted')}>Enter to continue · Esc back to the menu</Text>
    </Box>
  );
}

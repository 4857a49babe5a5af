/** @jsxRuntime automatic */
import { Box, Text, useApp } from 'ink';
import { useState } from 'react';
import { LoginForm } from '../client/menu/login-form.tsx';
import { sanitizeText } from '../ui/sanitize.ts';
import { useTheme } from '../ui/theme.ts';

export interface LoginScreenProps {
  /** The server being logged into, shown in the title. */
  readonly server: string;
  /** Calls the server; resolves when logged in, rejects with the reason to show. */
  readonly login: (username: string, password: string) => Promise<void>;
}

/** The console's login screen (when neither `BRUME_TOKEN` nor a stored token works). */
export function LoginScreen({ server, login }: LoginScreenProps) {
  const theme = useTheme();
  const { exit } = useApp();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Box flexDirection="column">
      <Text bold color={theme.color('accent')}>{`Brume console · ${sanitizeText(server)}`}</Text>
      {busy ? (
        <Text>Logging in…</Text>
      ) : (
        <LoginForm
          purpose="Brume console"
          error={error}
          onCancel={() => exit()}
          onSubmit={(u, p) => {
            setBusy(true);
            login(u, p).catch((e) => {
              setBusy(false);
              setError(e instanceof Error ? e.message : String(e));
            });
          }}
        />
      )}
    </Box>
  );
}

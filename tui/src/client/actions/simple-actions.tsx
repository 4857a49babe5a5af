/** @jsxRuntime automatic */
import { ConfirmInput, Spinner, TextInput } from '@inkjs/ui';
import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { sanitizeText } from '../../ui/sanitize.ts';
import { useTheme } from '../../ui/theme.ts';
import { type ActionContext, checkInAndRun, message, resolveHostId } from './action-context.ts';

/** Frame shared by the action screens: a title, the body, the key hint. */
export function ActionFrame({
  title,
  width,
  children,
}: {
  title: string;
  width: number;
  children: React.ReactNode;
}) {
  const theme = useTheme();
  return (
    <Box flexDirection="column" width={width} borderStyle="round" paddingX={1}>
      <Text bold color={theme.color('accent')}>
        {title}
      </Text>
      {children}
      <Text color={theme.color('muted')}>Esc back to the menu</Text>
    </Box>
  );
}

/** Esc goes back to the menu from any step that is not busy. */
export function useEscBack(ctx: ActionContext, busy: boolean) {
  useInput((_, key) => key.escape && !busy && ctx.finish(''), { isActive: !busy });
}

/** Quick Registration and Inventory: names the host after its MAC (server side), sends the inventory. */
export function QuickRegistration({ ctx }: { ctx: ActionContext }) {
  const [error, setError] = useState<string | null>(null);
  useEscBack(ctx, error === null);
  useEffect(() => {
    ctx.agent
      .collectInventory()
      .then((inventory) => ctx.agent.register({ inventory }))
      .then(
        (status) =>
          ctx.finish(`Registered${'name' in status ? ` as ${status.name}` : ''}: pending approval`, status),
        (e) => setError(message(e)),
      );
  }, [ctx]);
  return (
    <ActionFrame title="Quick Registration and Inventory" width={ctx.width}>
      {error === null ? (
        <Spinner label="Collecting the inventory and registering…" />
      ) : (
        <Text>{`✗ ${sanitizeText(error)}`}</Text>
      )}
    </ActionFrame>
  );
}

type Mutation = 'approve' | 'delete';

/** Approve This Host / Quick Host Deletion: confirm, then call the server with the operator's token. */
export function ConfirmHostChange({ ctx, kind }: { ctx: ActionContext; kind: Mutation }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEscBack(ctx, busy);
  const name = ctx.status.kind === 'unregistered' ? '?' : ctx.status.name;
  const run = async () => {
    setBusy(true);
    const hostId = await resolveHostId(ctx).catch(() => null);
    if (!ctx.operator || !hostId) {
      setBusy(false);
      return setError('this host is not known to the server, or no operator is logged in');
    }
    const call = kind === 'approve' ? ctx.operatorPort.approveHost : ctx.operatorPort.deleteHost;
    const result = await call
      .call(ctx.operatorPort, ctx.operator, hostId)
      .catch((e) => ({ ok: false as const, message: message(e) }));
    setBusy(false);
    if (!result.ok) return setError(result.message);
    if (kind === 'approve') ctx.finish(`${name} approved`, { kind: 'registered', name, hostId });
    else ctx.finish(`${name} deleted`, { kind: 'unregistered' });
  };
  return (
    <ActionFrame title={kind === 'approve' ? 'Approve This Host' : 'Quick Host Deletion'} width={ctx.width}>
      <Text>
        {kind === 'approve' ? `Approve ${sanitizeText(name)}?` : `Delete host ${sanitizeText(name)}?`}
      </Text>
      {error && <Text>{`✗ ${sanitizeText(error)}`}</Text>}
      {busy ? (
        <Spinner label="Working…" />
      ) : (
        <ConfirmInput onConfirm={() => void run()} onCancel={() => ctx.finish('')} />
      )}
    </ActionFrame>
  );
}

/** Join Multicast Session: asks the session name, joins, then runs the task the server queued. */
export function JoinMulticast({ ctx }: { ctx: ActionContext }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEscBack(ctx, busy);
  const join = async (name: string) => {
    setBusy(true);
    const hostId = await resolveHostId(ctx).catch(() => null);
    if (!ctx.operator || !hostId) {
      setBusy(false);
      return setError('this host must be registered first');
    }
    const r = await ctx.operatorPort
      .joinMulticast(ctx.operator, hostId, name.trim())
      .catch((e) => ({ ok: false as const, message: message(e) }));
    if (!r.ok) {
      setBusy(false);
      setAttempt((n) => n + 1);
      return setError(r.message);
    }
    await checkInAndRun(ctx, `Multicast session ${name}`).catch((e) => {
      setBusy(false);
      setError(message(e));
    });
  };
  return (
    <ActionFrame title="Join Multicast Session" width={ctx.width}>
      {error && <Text>{`✗ ${sanitizeText(error)}`}</Text>}
      {busy ? (
        <Spinner label="Joining…" />
      ) : (
        <Box key={attempt}>
          <Text>Session name: </Text>
          <TextInput onSubmit={(v) => v.trim() && void join(v)} />
        </Box>
      )}
    </ActionFrame>
  );
}

/** Run Memtest86+: needs a PXE boot into the memtest binary, which this terminal client cannot do. */
export function Memtest({ ctx }: { ctx: ActionContext }) {
  useEscBack(ctx, false);
  return (
    <ActionFrame title="Run Memtest86+" width={ctx.width}>
      <Text>
        Memtest86+ runs from the PXE menu (it replaces the operating system); it cannot start from here.
      </Text>
    </ActionFrame>
  );
}

/** @jsxRuntime automatic */
import { MultiSelect, Select, Spinner, TextInput } from '@inkjs/ui';
import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { sanitizeText } from '../../ui/sanitize.ts';
import type { GroupChoice, ImageChoice } from '../operator-port.ts';
import { type ActionContext, message } from './action-context.ts';
import { ActionFrame, useEscBack } from './simple-actions.tsx';

/** The server's rule (NetBIOS-safe, as FOG): checked here first so typos are caught at once. */
export const HOSTNAME_RULE = /^[A-Za-z0-9-]{1,15}$/;

type Step = 'name' | 'image' | 'groups' | 'working';
const NO_IMAGE = '__none__';

/**
 * Perform Full Host Registration and Inventory: hostname (unique: the server says), image, groups,
 * then the inventory is collected and sent; the host is pending until an operator approves it.
 */
export function FullRegistration({ ctx }: { ctx: ActionContext }) {
  const [step, setStep] = useState<Step>('name');
  const [name, setName] = useState('');
  const [imageId, setImageId] = useState<string | null>(null);
  const [images, setImages] = useState<ImageChoice[]>([]);
  const [groups, setGroups] = useState<GroupChoice[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEscBack(ctx, step === 'working');
  useEffect(() => {
    ctx.operatorPort.listImages(ctx.operator).then(setImages, () => setImages([]));
    ctx.operatorPort.listGroups(ctx.operator).then(setGroups, () => setGroups([]));
  }, [ctx]);

  // Takes the values as arguments: state set in the same event is not visible yet.
  const submit = (hostName: string, image: string | null, groupIds: string[]) => {
    setStep('working');
    ctx.agent
      .collectInventory()
      .then((inventory) => ctx.agent.register({ name: hostName, imageId: image, groupIds, inventory }))
      .then(
        (status) => ctx.finish(`Registered as ${hostName}: pending approval`, status),
        (e) => {
          setError(message(e));
          setName(''); // refused (taken, invalid): start the name afresh
          setAttempt((n) => n + 1);
          setStep('name');
        },
      );
  };
  const onName = (v: string) => {
    const n = v.trim();
    if (!HOSTNAME_RULE.test(n)) {
      setError('Hostname: 1 to 15 letters, digits or -');
      setAttempt((a) => a + 1);
      return;
    }
    setError(null);
    setName(n);
    setStep(images.length > 0 ? 'image' : groups.length > 0 ? 'groups' : 'working');
    if (images.length === 0 && groups.length === 0) submit(n, null, []);
  };
  return (
    <ActionFrame title="Perform Full Host Registration and Inventory" width={ctx.width}>
      {error && <Text>{`✗ ${sanitizeText(error)}`}</Text>}
      {step === 'name' && (
        <Box key={attempt}>
          <Text>Hostname: </Text>
          <TextInput defaultValue={name} onSubmit={onName} />
        </Box>
      )}
      {step === 'image' && (
        <Box flexDirection="column">
          <Text>{`Hostname: ${sanitizeText(name)}   Image to associate:`}</Text>
          <Select
            visibleOptionCount={Math.max(3, ctx.height - 10)}
            options={[
              { label: '(none)', value: NO_IMAGE },
              ...images.map((i) => ({ label: sanitizeText(`${i.name} (${i.osType})`), value: i.id })),
            ]}
            onChange={(v) => {
              const chosen = v === NO_IMAGE ? null : v;
              setImageId(chosen);
              if (groups.length > 0) setStep('groups');
              else submit(name, chosen, []);
            }}
          />
        </Box>
      )}
      {step === 'groups' && (
        <Box flexDirection="column">
          <Text>Groups (space toggles, Enter confirms):</Text>
          <MultiSelect
            visibleOptionCount={Math.max(3, ctx.height - 10)}
            options={groups.map((g) => ({ label: sanitizeText(g.name), value: g.id }))}
            onSubmit={(ids) => submit(name, imageId, ids)}
          />
        </Box>
      )}
      {step === 'working' && <Spinner label="Collecting the inventory and registering…" />}
    </ActionFrame>
  );
}

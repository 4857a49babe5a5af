/** @jsxRuntime automatic */
import { ConfirmInput, Select, Spinner } from '@inkjs/ui';
import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import { formatBytes } from '../../ui/format.ts';
import { sanitizeText } from '../../ui/sanitize.ts';
import type { TargetDisk } from '../agent-port.ts';
import type { ImageChoice } from '../operator-port.ts';
import { type ActionContext, checkInAndRun, message, resolveHostId } from './action-context.ts';
import { ActionFrame, useEscBack } from './simple-actions.tsx';

type Step =
  | { kind: 'loading' }
  | { kind: 'pick' }
  | { kind: 'confirm'; image: ImageChoice }
  | { kind: 'working' };

/** Deploy Image: pick an image, confirm with the target disk's model, serial and size, then run it. */
export function DeployImage({ ctx }: { ctx: ActionContext }) {
  const [step, setStep] = useState<Step>({ kind: 'loading' });
  const [images, setImages] = useState<ImageChoice[]>([]);
  const [target, setTarget] = useState<TargetDisk | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEscBack(ctx, step.kind === 'working');
  useEffect(() => {
    Promise.all([ctx.operatorPort.listImages(ctx.operator), ctx.agent.describeTarget()]).then(
      ([imgs, disk]) => {
        setImages(imgs.filter((i) => i.deployable));
        setTarget(disk);
        setStep({ kind: 'pick' });
      },
      (e) => setError(message(e)),
    );
  }, [ctx]);
  const deploy = async (image: ImageChoice) => {
    setStep({ kind: 'working' });
    const hostId = await resolveHostId(ctx).catch(() => null);
    if (!ctx.operator || !hostId) {
      setError('this host must be registered before a deploy');
      return setStep({ kind: 'pick' });
    }
    const r = await ctx.operatorPort
      .startDeploy(ctx.operator, hostId, image.id)
      .catch((e) => ({ ok: false as const, message: message(e) }));
    if (!r.ok) {
      setError(r.message);
      return setStep({ kind: 'pick' });
    }
    await checkInAndRun(ctx, `Deploy of ${image.name}`).catch((e) => setError(message(e)));
  };
  return (
    <ActionFrame title="Deploy Image" width={ctx.width}>
      {error && <Text>{`✗ ${sanitizeText(error)}`}</Text>}
      {step.kind === 'loading' && !error && <Spinner label="Loading images and the target disk…" />}
      {step.kind === 'pick' && images.length === 0 && <Text>No image with a captured version.</Text>}
      {step.kind === 'pick' && images.length > 0 && (
        <Select
          visibleOptionCount={Math.max(3, ctx.height - 10)}
          options={images.map((i) => ({ label: sanitizeText(`${i.name} (${i.osType})`), value: i.id }))}
          onChange={(v) => {
            const image = images.find((i) => i.id === v);
            if (image) setStep({ kind: 'confirm', image });
          }}
        />
      )}
      {step.kind === 'confirm' && target && (
        <Box flexDirection="column">
          <Text>{`Deploy ${sanitizeText(step.image.name)} to this machine's disk. Everything on it will be overwritten:`}</Text>
          <Text>{`  Disk    ${sanitizeText(target.path)}`}</Text>
          <Text>{`  Model   ${sanitizeText(target.model ?? 'unknown')}`}</Text>
          <Text>{`  Serial  ${sanitizeText(target.serial ?? 'unknown')}`}</Text>
          <Text>{`  Size    ${formatBytes(target.sizeBytes)}${target.removable ? '  (removable: Brume refuses removable disks)' : ''}`}</Text>
          <Box>
            <Text>Proceed? </Text>
            <ConfirmInput
              defaultChoice="cancel"
              onConfirm={() => void deploy(step.image)}
              onCancel={() => setStep({ kind: 'pick' })}
            />
          </Box>
        </Box>
      )}
      {step.kind === 'working' && <Spinner label="Queuing the deploy…" />}
    </ActionFrame>
  );
}

/** Task routes any kind uses: info, start, progress, complete, fail, inventory. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { captureRefusal } from '../images/capture-refusal.ts';
import { KIB, MIB, readJson, sendJson } from './http-io.ts';
import { failBody, inventoryBody, progressBody, startBody } from './request-schemas.ts';
import { CLIENT_TASK_TYPES, DEPLOY_TYPES, type TransferCore } from './transfer-core.ts';
import { TransferError } from './transfer-errors.ts';
import { versionOf } from './version-cache.ts';

const WIPE_MODES: Record<string, string> = { FAST_WIPE: 'fast', NORMAL_WIPE: 'normal', FULL_WIPE: 'full' };

export async function handleTaskInfo(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const { task } = await core.session(req, 'task');
  const [host, image] = await Promise.all([
    core.deps.hosts.getHost(task.hostId),
    task.imageId ? core.deps.images.getImage(task.imageId) : undefined,
  ]);
  const refusal = task.type === 'CAPTURE' && image ? captureRefusal(image) : null;
  if (image && refusal) {
    await core.move(task.id, 'FAILED', refusal);
    throw new TransferError('IMAGE_PROTECTED', `image ${image.name}: ${refusal}`);
  }
  const version = DEPLOY_TYPES.includes(task.type) ? await versionOf(core, task) : null;
  sendJson(res, 200, {
    id: task.id,
    kind: task.type,
    state: task.state,
    image: image?.name ?? null,
    wipeMode: WIPE_MODES[task.type] ?? null,
    deploy: version && {
      versionId: version.id,
      version: version.number,
      manifestDigest: version.digest,
      blocks: version.blockCount,
      sizeBytes: version.sizeBytes,
    },
    target: { serial: host?.primaryDiskSerial ?? null, disk: host?.primaryDisk ?? null },
  });
}

export async function handleStart(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const { task } = await core.session(req, 'start', CLIENT_TASK_TYPES);
  const body = await readJson(req, 16 * KIB, startBody);
  if (task.state === 'CHECKED_IN') {
    const moved = await core.move(task.id, 'IN_PROGRESS');
    if (!moved) throw new TransferError('TASK_ENDED', 'the task ended', { state: 'UNKNOWN' });
  }
  core.hub.report(task.id, { ...body, phase: 'started' });
  sendJson(res, 200, { state: 'IN_PROGRESS' });
}

export async function handleProgress(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const { task } = await core.session(req, 'progress');
  const body = await readJson(req, MIB, progressBody);
  const counters = core.hub.report(task.id, body);
  sendJson(res, 200, { state: task.state, ...counters });
}

export async function handleComplete(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const { task, mac } = await core.session(
    req,
    'complete',
    CLIENT_TASK_TYPES.filter((t) => t !== 'CAPTURE'),
  );
  await readJson(req, 16 * KIB, failBody.partial());
  if (task.state === 'CHECKED_IN') await core.move(task.id, 'IN_PROGRESS');
  const moved = await core.move(task.id, 'COMPLETE');
  if (!moved)
    throw new TransferError('TASK_ENDED', 'the task ended before it completed', { state: 'UNKNOWN' });
  await core.auth.audit(req, mac, 'complete', task.id, 'OK');
  sendJson(res, 200, { state: 'COMPLETE' });
}

export async function handleFail(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const { task, mac } = await core.session(req, 'fail');
  const body = await readJson(req, 16 * KIB, failBody);
  await core.move(task.id, 'FAILED', body.reason.slice(0, 500));
  await core.auth.audit(req, mac, 'fail', task.id, 'OK');
  sendJson(res, 200, { state: 'FAILED' });
}

export async function handleInventory(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const { task } = await core.session(req, 'inventory', ['INVENTORY']);
  const report = await readJson(req, 256 * KIB, inventoryBody);
  await core.deps.hosts.inventory.saveInventory(task.hostId, report);
  sendJson(res, 200, { saved: true });
}

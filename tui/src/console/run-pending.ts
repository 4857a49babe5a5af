import type { CommandResult, ConsolePort } from './console-port.ts';
import type { ConsoleStore } from './use-console-feed.ts';
import type { ConsoleUiAction, PendingCommand } from './use-console-state.ts';

interface RunDeps {
  readonly port: ConsolePort;
  readonly dispatch: (a: ConsoleUiAction) => void;
  /** Given, lists without events (schedules) are reloaded after a change. */
  readonly store?: ConsoleStore;
}

/** Schedules have no events: the pane reloads them when shown and after each change. */
export function reloadSchedules(d: RunDeps): void {
  d.port.loadSchedules().then(
    (schedules) => d.store?.dispatchNow({ type: 'schedulesLoaded', schedules }),
    (e: unknown) =>
      d.dispatch({ type: 'status', text: e instanceof Error ? e.message : String(e), tone: 'bad' }),
  );
}

/** Webhooks have no events either: reloaded when shown and after each change. */
export function reloadWebhooks(d: RunDeps): void {
  d.port.loadWebhooks().then(
    (webhooks) => d.store?.dispatchNow({ type: 'webhooksLoaded', webhooks }),
    (e: unknown) =>
      d.dispatch({ type: 'status', text: e instanceof Error ? e.message : String(e), tone: 'bad' }),
  );
}

/** Calls the server for a confirmed command and reports the result in the status bar. */
export async function runPending(cmd: PendingCommand, d: RunDeps): Promise<CommandResult> {
  let result: CommandResult;
  try {
    result = await call(cmd, d.port);
  } catch (e) {
    result = { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  d.dispatch({ type: 'status', text: result.message, tone: result.ok ? 'good' : 'bad' });
  if (result.ok && ['capture', 'deploy', 'wipe'].includes(cmd.op))
    d.dispatch({ type: 'started', transfer: true });
  if (cmd.op === 'schedule-enabled' || cmd.op === 'delete-schedule' || cmd.op === 'run-schedule')
    reloadSchedules(d);
  if (cmd.op === 'webhook-enabled' || cmd.op === 'ping-webhook' || cmd.op === 'redeliver') reloadWebhooks(d);
  // The attempt follows within a moment: a second read shows what the receiver answered.
  if (result.ok && (cmd.op === 'ping-webhook' || cmd.op === 'redeliver'))
    setTimeout(() => reloadWebhooks(d), 2000).unref?.();
  // The marked hosts got their tasks: a next action starts from a clean slate.
  if (result.ok && (cmd.op === 'deploy' || cmd.op === 'inventory' || cmd.op === 'wake'))
    d.dispatch({ type: 'clearMarks' });
  return result;
}

function call(cmd: PendingCommand, port: ConsolePort): Promise<CommandResult> {
  switch (cmd.op) {
    case 'approve':
      return port.approveHost(cmd.hostId);
    case 'inventory':
      return port.startInventory(cmd.hostIds);
    case 'wake':
      return port.wakeHosts(cmd.hostIds);
    case 'capture':
      return port.startCapture(cmd.hostId, cmd.imageId ?? '');
    case 'deploy':
      return port.startDeploy(cmd.hostIds, cmd.imageId ?? '', cmd.scheduledAt ?? null);
    case 'wipe':
      return port.startWipe(cmd.hostId, cmd.mode ?? 'FAST');
    case 'cancel':
      return port.cancelTask(cmd.taskId);
    case 'front':
      return port.moveTaskToFrontOfLine(cmd.taskId);
    case 'protect':
      return port.setImageProtected(cmd.imageId, cmd.protect);
    case 'delete-image':
      return port.deleteImage(cmd.imageId);
    case 'delete-version':
      return port.deleteImageVersion(cmd.versionId ?? '');
    case 'use-version':
      return port.setCurrentImageVersion(cmd.versionId ?? '');
    case 'verify-version':
      return port.verifyImageVersion(cmd.versionId ?? '');
    case 'keep-versions':
      return port.setImageKeepVersions(cmd.imageId, cmd.keep ?? 0);
    case 'schedule-enabled':
      return port.setScheduleEnabled(cmd.scheduleId, cmd.enabled);
    case 'delete-schedule':
      return port.deleteSchedule(cmd.scheduleId);
    case 'run-schedule':
      return port.runScheduleNow(cmd.scheduleId);
    case 'webhook-enabled':
      return port.setWebhookEnabled(cmd.webhookId, cmd.enabled);
    case 'ping-webhook':
      return port.pingWebhook(cmd.webhookId);
    case 'redeliver':
      return port.redeliverWebhookDelivery(cmd.deliveryId);
    case 'collect':
      return port.collectStoreGarbage();
    case 'import-store':
      return port.importStoreImages();
  }
}

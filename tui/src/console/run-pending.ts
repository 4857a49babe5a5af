import type { CommandResult, ConsolePort } from './console-port.ts';
import type { ConsoleUiAction, PendingCommand } from './use-console-state.ts';

/** Calls the server for a confirmed command and reports the result in the status bar. */
export async function runPending(
  cmd: PendingCommand,
  d: { port: ConsolePort; dispatch: (a: ConsoleUiAction) => void },
): Promise<CommandResult> {
  let result: CommandResult;
  try {
    result = await call(cmd, d.port);
  } catch (e) {
    result = { ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  d.dispatch({ type: 'status', text: result.message, tone: result.ok ? 'good' : 'bad' });
  if (result.ok && ['capture', 'deploy', 'wipe'].includes(cmd.op))
    d.dispatch({ type: 'started', transfer: true });
  return result;
}

function call(cmd: PendingCommand, port: ConsolePort): Promise<CommandResult> {
  switch (cmd.op) {
    case 'approve':
      return port.approveHost(cmd.hostId);
    case 'inventory':
      return port.startInventory(cmd.hostId);
    case 'wake':
      return port.wakeHost(cmd.hostId);
    case 'capture':
      return port.startCapture(cmd.hostId, cmd.imageId ?? '');
    case 'deploy':
      return port.startDeploy(cmd.hostId, cmd.imageId ?? '');
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
    case 'keep-versions':
      return port.setImageKeepVersions(cmd.imageId, cmd.keep ?? 0);
    case 'collect':
      return port.collectStoreGarbage();
  }
}

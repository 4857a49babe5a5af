/**
 * `GET /multicast/ticket`: the session ticket of the MULTICAST task a client holds a task token
 * for (same token, MAC and audit as the data plane). Kept beside the data plane, not under
 * `/v1/`, so the transfer router stays the only owner of that prefix.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRoute } from '../app/http-routes.ts';
import { BrumeError } from '../graphql/brume-error.ts';
import { sendError, sendJson } from '../transfer/http-io.ts';
import type { TransferCore } from '../transfer/transfer-core.ts';
import { TransferError } from '../transfer/transfer-errors.ts';
import type { MulticastService } from './multicast-service.ts';
import { NoFreeSlotError } from './runner/session-slots.ts';

export const TICKET_PATH = '/multicast/ticket';

export function multicastTicketRoutes(
  multicast: Pick<MulticastService, 'ticketFor'>,
  core: Pick<TransferCore, 'session' | 'move' | 'deps'>,
): HttpRoute[] {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const { task } = await core.session(req, 'multicast-ticket', ['MULTICAST']);
      const ticket = await multicast.ticketFor(task).catch(async (err: unknown) => {
        // Every slot is held by a running session: one frees when a session ends, the client retries.
        if (err instanceof NoFreeSlotError) throw new TransferError('BUSY', err.message);
        if (!(err instanceof BrumeError)) throw err;
        // The session ended or cannot run: this task can never be performed.
        await core.move(task.id, 'FAILED', err.message);
        throw new TransferError('TASK_ENDED', err.message, { state: 'FAILED', reason: err.message });
      });
      if (!ticket) throw new TransferError('NOT_FOUND', 'this task is in no multicast session');
      sendJson(res, 200, { ticket });
    } catch (err) {
      if (err instanceof TransferError) return sendError(res, err);
      core.deps.log.error({ err }, 'multicast ticket request failed');
      sendError(res, new TransferError('INTERNAL', 'internal error'));
    }
  }
  return [{ method: 'GET', path: TICKET_PATH, handle }];
}

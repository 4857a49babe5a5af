/**
 * The data plane under `/v1/` (PROTOCOL.md): a small router over Node's request/response, mounted
 * in the app through `routes`. Handlers are thin; errors become `{code, message}` bodies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpRoute } from '../app/http-routes.ts';
import {
  handleReplicaChunk,
  handleReplicaImageDelete,
  handleReplicaMissing,
  handleReplicaVersion,
} from '../replication/replica-handlers.ts';
import { handleBlockPut, handleCommit, handleMissing } from './capture-handlers.ts';
import { handleCheckin } from './checkin-handler.ts';
import { handleBlocksGet } from './deploy-batch.ts';
import { handleBlockGet, handleManifest } from './deploy-handlers.ts';
import { sendError } from './http-io.ts';
import { handleRegister } from './register-handler.ts';
import {
  handleComplete,
  handleFail,
  handleInventory,
  handleProgress,
  handleStart,
  handleTaskInfo,
} from './task-handlers.ts';
import { createTransferCore, type TransferCore } from './transfer-core.ts';
import type { TransferDeps, TransferOptions } from './transfer-deps.ts';
import { TransferError } from './transfer-errors.ts';
import { TransferStore } from './transfer-store.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, param: string, url: URL) => Promise<void>;

/** Routes with a last path segment for a parameter (a chunk hash, a version uuid). */
const PARAM_ROUTE =
  /^\/v1\/(capture\/blocks|deploy\/blocks|replication\/chunks|replication\/versions|replication\/images)\/([^/]{1,128})$/;

function table(core: TransferCore, store: TransferStore): Record<string, Handler> {
  return {
    'POST /v1/checkin': (req, res) => handleCheckin(core, req, res),
    'POST /v1/register': (req, res) => handleRegister(core, req, res),
    'GET /v1/task': (req, res) => handleTaskInfo(core, req, res),
    'POST /v1/task/start': (req, res) => handleStart(core, req, res),
    'POST /v1/task/progress': (req, res) => handleProgress(core, req, res),
    'POST /v1/task/complete': (req, res) => handleComplete(core, req, res),
    'POST /v1/task/fail': (req, res) => handleFail(core, req, res),
    'PUT /v1/inventory': (req, res) => handleInventory(core, req, res),
    'POST /v1/capture/missing': (req, res) => handleMissing(core, store, req, res),
    'PUT /v1/capture/blocks/:param': (req, res, hash) => handleBlockPut(core, store, req, res, hash),
    'POST /v1/capture/commit': (req, res) => handleCommit(core, store, req, res),
    'GET /v1/deploy/manifest': (req, res) => handleManifest(core, req, res),
    'GET /v1/deploy/blocks/:param': (req, res, hash) => handleBlockGet(core, store, req, res, hash),
    'GET /v1/deploy/blocks': (req, res, _, url) => handleBlocksGet(core, store, req, res, url),
    'POST /v1/replication/missing': (req, res) => handleReplicaMissing(core, store, req, res),
    'PUT /v1/replication/chunks/:param': (req, res, hash) => handleReplicaChunk(core, store, req, res, hash),
    'PUT /v1/replication/versions/:param': (req, res, id) => handleReplicaVersion(core, store, req, res, id),
    'DELETE /v1/replication/images/:param': (req, res, name) =>
      handleReplicaImageDelete(core, req, res, name),
  };
}

export function createTransferService(deps: TransferDeps, options: TransferOptions = {}) {
  const core = createTransferCore(deps, options);
  const store = new TransferStore(deps.imagesDir);
  // Upload bodies go to chunk files as they are: in buffers the store writes with O_DIRECT.
  core.bodyBuffers.allocateWith((size) => store.alignedBytes(size));
  // Chunk files served to a lone deploy are read into them with O_DIRECT (active-readers.ts).
  core.readBuffers.allocateWith((size) => store.alignedBytes(size));
  core.onFinal.push((taskId) => store.release(taskId));
  const handlers = table(core, store);
  // Tasks whose client lease ran out while the server was down fail now, with a reason.
  const ready = store.ready
    .then(() => deps.tasks.reconcileExpiredLeases())
    .catch((err: unknown) => deps.log.error({ err }, 'transfer start-up reconcile failed'));

  // A client that dies mid-task stops renewing its lease: a periodic sweep fails its task with a
  // reason while the server runs (at start-up `reconcileExpiredLeases` does it for a restart).
  // The grace lets a client that was only briefly away check in again and resume.
  const graceMs = options.leaseGraceMs ?? core.ttlMs;
  async function sweepLeases(at: Date = deps.now()) {
    const reason = `lease expired: no word from the client for ${Math.round((core.ttlMs + graceMs) / 1000)} s`;
    const failed = await deps.tasks.failLapsedLeases(new Date(at.getTime() - graceMs), reason, at);
    for (const task of failed) {
      deps.log.warn({ taskId: task.id }, reason);
      core.auth.invalidate(task.id);
      await core.hub.finish(task.id);
      for (const hook of core.onFinal) await hook(task.id).catch(() => undefined);
    }
    return failed;
  }
  const sweeper = setInterval(() => {
    void ready
      .then(() => sweepLeases())
      .catch((err: unknown) => deps.log.error({ err }, 'lease sweep failed'));
  }, options.leaseSweepMs ?? 15_000);
  sweeper.unref();

  async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const m = PARAM_ROUTE.exec(url.pathname);
    const key = m ? `${method} /v1/${m[1]}/:param` : `${method} ${url.pathname}`;
    const handler = handlers[key];
    try {
      await ready;
      if (!handler) throw new TransferError('NOT_FOUND', `no route ${method} ${url.pathname}`);
      await handler(req, res, m?.[2] ?? '', url);
    } catch (err) {
      if (err instanceof TransferError) return sendError(res, err);
      deps.log.error({ err, path: url.pathname }, 'data plane request failed');
      sendError(res, new TransferError('INTERNAL', 'internal error'));
    }
  }

  const routes: HttpRoute[] = (['GET', 'POST', 'PUT', 'DELETE'] as const).map((method) => ({
    method,
    path: '/v1/',
    handle: dispatch,
  }));

  /** Stops the lease sweep (the database closes after the server stops). */
  const stop = () => clearInterval(sweeper);

  return { routes, core, store, ready, sweepLeases, stop };
}

export type TransferService = ReturnType<typeof createTransferService>;

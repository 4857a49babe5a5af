import { createAuditService } from '../audit/audit-service.ts';
import { createAuthService } from '../auth/auth-service.ts';
import { createGroupsService } from '../groups/groups-service.ts';
import { createHostPresence } from '../hosts/host-presence.ts';
import { createHostsService } from '../hosts/hosts-service.ts';
import { createImagesService } from '../images/images-service.ts';
import { createMulticastService } from '../multicast/multicast-service.ts';
import { createBootScriptHandler } from '../pxe/boot-script-handler.ts';
import { createPxeDirectory } from '../pxe/pxe-directory-adapter.ts';
import { recordReplicaDeletion } from '../replication/replica-deletions.ts';
import { createReplicationService } from '../replication/replication-service.ts';
import { createSchedulesService } from '../schedules/schedules-service.ts';
import { createStorageService } from '../storage/storage-service.ts';
import { storeCurrentFollower } from '../storage/store-current.ts';
import { createStoreImport } from '../storage/store-import.ts';
import { createStoreVerify } from '../storage/store-verify.ts';
import { createTasksService } from '../tasks/tasks-service.ts';
import { createTransferService } from '../transfer/transfer-service.ts';
import { createWakeService } from '../wake/wake-service.ts';
import { createWebhooksService } from '../webhooks/webhooks-service.ts';
import type { ServiceDeps } from './service-deps.ts';

export type { ServiceDeps } from './service-deps.ts';

/**
 * The composition root: one line per domain. A domain adds `<domain>: create<Domain>Service(deps),`
 * (services may take other services: pass them explicitly, e.g. `createTaskService(deps, { hosts })`).
 */
export function createServices(deps: ServiceDeps) {
  const domains = createDomainServices(deps);
  const webhooks = createWebhooksService(deps, { tasks: domains.tasks, hosts: domains.hosts });
  return {
    ...domains,
    webhooks,
    storeVerify: createStoreVerify(deps, { images: domains.images, damaged: webhooks.imageDamaged }),
    replication: createReplicationService(deps, {
      readChunk: (hash) => domains.transfer.store.read(hash),
      verify: (hash, compressed) => domains.transfer.core.verifier.verify(hash, compressed),
      storage: domains.storage,
      failed: webhooks.replicationFailed,
    }),
  };
}

function createDomainServices(deps: ServiceDeps) {
  const audit = createAuditService(deps);
  const auth = createAuthService(deps);
  const tasks = createTasksService(deps);
  const hosts = createHostsService(deps);
  const storage = createStorageService(deps);
  const followCurrent = storeCurrentFollower(deps.config.core.imagesDir, deps.log);
  const images = createImagesService(deps, {
    versionsDeleted: storage.gc.versionsDeleted,
    imageDeleting: (tx, image) => recordReplicaDeletion(tx, image, deps.now()),
    currentVersionChanged: (image, version) => followCurrent(image.name, version.manifestHash),
  });
  const multicast = createMulticastService(deps, { tasks });
  const pxeDirectory = createPxeDirectory({ hosts, tasks, images, auth, audit, multicast }, deps);
  return {
    pubsub: deps.pubsub,
    audit,
    auth,
    hosts,
    hostPresence: createHostPresence({
      hosts,
      log: deps.log,
      now: deps.now,
      offlineAfterMs: deps.config.core.hostOfflineAfterMs,
    }),
    groups: createGroupsService(deps),
    images,
    tasks,
    multicast,
    storage,
    storeImport: createStoreImport(deps, { images, followCurrent }),
    wake: createWakeService(deps, { tasks }),
    schedules: createSchedulesService(deps, { tasks, audit }),
    // /boot.ipxe (PXE issue): routes mounted in http-routes.ts.
    pxe: {
      bootScript: createBootScriptHandler({
        directory: pxeDirectory,
        boot: deps.config.pxe.boot,
        log: deps.log,
        now: deps.now,
      }),
    },
    // Data plane /v1/ (transfer issue): routes mounted in http-routes.ts.
    transfer: createTransferService(
      {
        ...deps,
        imagesDir: deps.config.core.imagesDir,
        tasks,
        hosts,
        images,
        audit,
        bearer: (token) => auth.tokens.resolveBearer(token),
        storeIdle: () => storage.gc.whenIdle(),
      },
      { maxClients: deps.config.core.maxClients },
    ),
  };
}

export type Services = ReturnType<typeof createServices>;

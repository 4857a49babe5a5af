/** What the data plane needs from the rest of the server, injected by the composition root. */
import type { Logger } from 'pino';
import type { AuditService } from '../audit/audit-service.ts';
import type { Database } from '../db/database.ts';
import type { Viewer } from '../graphql/context.ts';
import type { PubSub } from '../graphql/pubsub.ts';
import type { HostsService } from '../hosts/hosts-service.ts';
import type { ImagesService } from '../images/images-service.ts';
import type { TasksService } from '../tasks/tasks-service.ts';

export interface TransferDeps {
  readonly db: Database;
  readonly pubsub: PubSub;
  readonly log: Logger;
  readonly now: () => Date;
  /** The image store root (`BRUME_IMAGES_DIR`): chunks, manifests and `staging/`. */
  readonly imagesDir: string;
  readonly tasks: TasksService;
  readonly hosts: HostsService;
  readonly images: ImagesService;
  readonly audit: AuditService;
  /** An API bearer token to its viewer (replication routes; PROTOCOL.md "Replication"). */
  readonly bearer: (token: string) => Promise<Viewer | null>;
  /**
   * Resolves when no store garbage collection is running: a capture asks which chunks the store
   * has, and uploads, only between collections (a sweep must not remove a chunk a capture was just
   * told is there). None in tests that run no collection.
   */
  readonly storeIdle?: () => Promise<void>;
}

/** Tunables, defaults in PROTOCOL.md; tests shorten some. */
export interface TransferOptions {
  readonly tokenTtlMs?: number;
  readonly maxBlockRequestsPerTask?: number;
  readonly maxVerifications?: number;
  /**
   * Codec worker threads verifying uploads. Default 0: on the request thread (~1.5 ms per 1 MiB
   * block); each worker costs 11 MiB of RSS (20 MiB when the server runs under tsx, which workers
   * inherit), and the 300 MiB target leaves no room for it.
   */
  readonly verifyWorkers?: number;
  /** Upload bodies held in memory at once, all tasks together (default 16 MiB). */
  readonly uploadMemoryBytes?: number;
  readonly publishEveryMs?: number;
  /** How often leases are swept while the server runs (default 15 s). */
  readonly leaseSweepMs?: number;
  /** How long past its expiry a lease is kept for the client to come back (default: the token lifetime). */
  readonly leaseGraceMs?: number;
  /** Unicast deploys and captures at once when no MASTER storage node sets it (default 10; unicast-slots.ts). */
  readonly maxClients?: number;
}

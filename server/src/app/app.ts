import path from 'node:path';
import type { DestinationStream } from 'pino';
import { ensureInitialAdmin, initialAdminFile } from '../auth/initial-admin.ts';
import type { Config } from '../config/config.ts';
import type { OpenDatabase } from '../db/database.ts';
import { openDatabase } from '../db/db.ts';
import { createPubSub } from '../graphql/pubsub.ts';
import { buildSchema } from '../graphql/schema.ts';
import { type PxeService, startPxeService } from '../pxe/pxe-service.ts';
import { registerDomainMetrics } from './domain-metrics.ts';
import { attachGraphqlWs } from './graphql-ws.ts';
import { httpRoutes } from './http-routes.ts';
import { createHttpServer, type Readiness } from './http-server.ts';
import { closeServer, listen } from './listen.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createServices } from './services.ts';
import { createYogaServer } from './yoga.ts';

export interface BuildAppOptions {
  /** An open database (tests); the app then leaves closing it to the caller. */
  readonly database?: OpenDatabase;
  readonly logDestination?: DestinationStream;
  /** Where the first admin password is shown once (default: stdout, never the JSON log). */
  readonly announce?: (text: string) => void;
  readonly now?: () => Date;
}

const defaultAnnounce = (text: string) => process.stdout.write(`${text}\n`);

/** config → database → services → schema → yoga → http + graphql-ws. Nothing listens yet. */
async function wire(config: Config, options: BuildAppOptions, readiness: () => Readiness) {
  const log = createLogger(config, options.logDestination);
  const database =
    options.database ??
    (await openDatabase({
      databaseUrl: config.core.databaseUrl,
      pgliteDir: path.join(config.core.dataDir, 'pglite'),
    }));
  const now = options.now ?? (() => new Date());
  const services = createServices({ config, db: database.db, pubsub: createPubSub(), log, now });
  const schema = buildSchema();
  const metrics = createMetrics();
  registerDomainMetrics(metrics.registry, {
    db: database.db,
    imagesDir: config.core.imagesDir,
    slots: services.transfer.core.unicastSlots,
  });
  const yoga = createYogaServer({ config, schema, services, log, metrics });
  const routes = httpRoutes(services);
  const server = createHttpServer({ yoga, metrics, log, routes, readiness, ping: () => database.ping() });
  const ws = attachGraphqlWs(server, {
    yoga,
    services,
    log,
    metrics,
    initTimeoutMs: config.core.wsInitTimeoutMs,
    recheckMs: config.core.auth.tokenRecheckMs,
  });
  return { log, database, services, schema, metrics, yoga, server, ws };
}

/** `{ start(port), stop(), yoga, services, ... }`: the whole server, built but not listening. */
export async function buildApp(config: Config, options: BuildAppOptions = {}) {
  let readiness: Readiness = 'starting';
  let stopping: Promise<void> | undefined;
  // dnsmasq under supervision, only when BRUME_PXE_INTERFACE names an interface.
  let pxe: PxeService | undefined;
  const parts = await wire(config, options, () => readiness);
  const { log, database, services, yoga, server, ws } = parts;

  /** First-start duties that must precede readiness. */
  async function initialize(): Promise<void> {
    await services.auth.tokens.purgeExpiredSessions();
    const password = await ensureInitialAdmin(services.auth, config.core.dataDir);
    if (!password) return;
    (options.announce ?? defaultAnnounce)(
      `Brume first start: user "admin" created with password ${password}\n` +
        `(also in ${path.join(config.core.dataDir, initialAdminFile)}, mode 0600; change it after logging in)`,
    );
  }

  return {
    config,
    ...parts,
    get readiness(): Readiness {
      return readiness;
    },
    initialize,
    pxeStatus: () => pxe?.status() ?? { enabled: false as const },
    async start(port = config.core.port, host = config.core.host) {
      // Multicast sessions whose sender died with the previous process fail before anyone asks.
      await services.multicast.ready;
      await services.wake.start();
      services.hostPresence.start();
      await services.schedules.start();
      services.replication.start();
      services.webhooks.start();
      await services.storage.gc.start();
      await services.storeVerify.start();
      const address = await listen(server, port, host);
      await initialize();
      // Never throws: a missing dnsmasq/ipxe is logged with the apt-get line, the API still serves.
      pxe = await startPxeService(config.pxe, { log });
      readiness = 'ready';
      log.info({ port: address.port, database: database.kind }, 'brume-server ready');
      const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { port: address.port, url: `http://${hostPart}:${address.port}` };
    },
    /** Idempotent: a second call waits for the first. */
    stop(): Promise<void> {
      stopping ??= (async () => {
        readiness = 'stopping';
        await pxe?.stop();
        // Senders are child processes: stop them with the API rather than leave them orphaned.
        services.multicast.stop();
        services.transfer.stop();
        services.storage.gc.close();
        await services.storeVerify.stop();
        services.wake.stop();
        services.hostPresence.stop();
        services.schedules.stop();
        services.replication.stop();
        services.webhooks.stop();
        await ws.close();
        await closeServer(server, config.core.shutdownGraceMs);
        await yoga.dispose();
        if (options.database === undefined) await database.close();
        log.info('brume-server stopped');
      })();
      return stopping;
    },
  };
}

export type App = Awaited<ReturnType<typeof buildApp>>;

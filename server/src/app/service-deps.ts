import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { Database } from '../db/database.ts';
import type { PubSub } from '../graphql/pubsub.ts';

/** What every domain service factory receives from the composition root. */
export interface ServiceDeps {
  readonly config: Config;
  readonly db: Database;
  readonly pubsub: PubSub;
  readonly log: Logger;
  /** Injected so tests can move time (token expiry, leases). */
  readonly now: () => Date;
}

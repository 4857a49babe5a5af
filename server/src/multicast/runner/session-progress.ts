/** The multicastProgress stream of one session: its rows first, then the runner's live events. */
import { asc, eq } from 'drizzle-orm';
import type { Executor } from '../../db/database.ts';
import type { PubSub } from '../../graphql/pubsub.ts';
import { imageVersions } from '../../images/images-table.ts';
import { OPEN_SESSION_STATES } from '../multicast-states.ts';
import { type MulticastSessionRow, multicastReceivers, multicastSessions } from '../multicast-table.ts';
import type { MulticastProgressEvent, SessionRunner } from './session-runner.ts';

/** A session's progress from its rows: what a subscriber sees before the sender speaks. */
export async function progressOfRows(
  db: Executor,
  session: MulticastSessionRow,
): Promise<MulticastProgressEvent> {
  const receivers = await db
    .select()
    .from(multicastReceivers)
    .where(eq(multicastReceivers.sessionId, session.id))
    .orderBy(asc(multicastReceivers.hostId));
  const [version] = session.imageVersionId
    ? await db
        .select({ blockCount: imageVersions.blockCount })
        .from(imageVersions)
        .where(eq(imageVersions.id, session.imageVersionId))
    : [];
  const blocksTotal = version?.blockCount ?? 0;
  return {
    sessionId: session.id,
    state: session.state,
    blocksTotal,
    rateBytesPerSecond: 0,
    receivers: receivers.map((r) => ({
      hostId: r.hostId,
      state: r.state,
      blocksDone: r.blocksDone,
      blocksTotal,
      bytesDone: r.bytesDone,
      lossPermille: 0,
      failureReason: null,
    })),
  };
}

/** The session's rows now, then live ones (ends with the session); undefined for an unknown session. */
export async function watchSessionProgress(
  deps: { db: Executor; pubsub: PubSub; runner: Pick<SessionRunner, 'current'> },
  sessionId: string,
): Promise<AsyncIterable<MulticastProgressEvent> | undefined> {
  const { db, pubsub, runner } = deps;
  const live = pubsub.subscribe('multicastProgress', { key: sessionId, bufferSize: 1 });
  const [row] = await db.select().from(multicastSessions).where(eq(multicastSessions.id, sessionId));
  if (!row) {
    await live.return();
    return undefined;
  }
  const first = runner.current(sessionId) ?? (await progressOfRows(db, row));
  // A Repeater listens only from its first pull: pull now, so an end published before the
  // reader asks for its second event (a sweep, a cancel) still reaches it and ends the stream.
  let next = live.next();
  return (async function* () {
    try {
      yield first;
      if (!OPEN_SESSION_STATES.includes(first.state)) return;
      for (let r = await next; !r.done; r = await next) {
        yield r.value;
        if (!OPEN_SESSION_STATES.includes(r.value.state)) return;
        next = live.next();
      }
    } finally {
      await live.return();
    }
  })();
}

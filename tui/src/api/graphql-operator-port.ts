/**
 * The boot menu's operator actions over GraphQL: login gives a session token, used for that one
 * action set only (the menu never stores it).
 */
import type { Client } from '@urql/core';
import type { Operator } from '../client/menu/use-menu-state.ts';
import { LoginRefusedError, type OperatorPort } from '../client/operator-port.ts';
import { sanitizeText } from '../ui/sanitize.ts';
import * as D from './documents.ts';
import type { ApiClient } from './graphql-client.ts';
import { runMutation, runQuery } from './graphql-console-port.ts';
import { toCommandResult } from './graphql-mappers.ts';

const FINISHED_WORDS: Record<string, string> = {
  COMPLETE: 'has already finished',
  CANCELLED: 'was cancelled',
  FAILED: 'has failed',
};

/** The server's typed refusals, in words that name the session the operator typed. */
function joinResult(r: D.ErrorShape & { state?: string; session?: { name: string } }, name: string) {
  const shown = sanitizeText(name);
  switch (r.__typename) {
    case 'MulticastSessionNotFoundError':
      return { ok: false as const, message: `No multicast session named "${shown}"` };
    case 'MulticastSessionFinishedError': {
      const why = FINISHED_WORDS[r.state ?? ''] ?? `cannot be joined: ${r.message ?? r.state}`;
      return { ok: false as const, message: `Multicast session "${shown}" ${why}` };
    }
    default:
      return toCommandResult(r, 'JoinMulticastSessionSuccess', () => `joined ${r.session?.name ?? shown}`);
  }
}

/** The menu works for one operator at a time: the client's token follows the last login. */
export function createGraphqlOperatorPort(api: ApiClient): OperatorPort {
  const client: Client = api.client;
  const as = (op: Operator | null) => api.setToken(op?.token ?? null);
  return {
    async login(username, password) {
      as(null);
      const r = (await runMutation(client, D.LoginDocument, { username, password })).login;
      if (r.__typename !== 'LoginSuccess' || !r.token)
        throw new LoginRefusedError(r.__typename, r.message ?? 'login refused');
      if (r.user?.role === 'VIEWER')
        throw new LoginRefusedError('FORBIDDEN', 'a VIEWER cannot change hosts: log in as an operator');
      return { username, token: r.token };
    },
    async listImages(op) {
      if (!op) return []; // the image list needs a login; unauthenticated registration skips it
      as(op);
      const d = await runQuery(client, D.ImagesDocument, { first: 200 });
      return d.images.edges.map(({ node: i }) => ({
        id: i.id,
        name: i.name,
        osType: i.osType,
        deployable: i.enabled && i.versions.some((v) => v.current),
      }));
    },
    async listGroups(op) {
      if (!op) return [];
      as(op);
      return (await runQuery(client, D.GroupsDocument, { first: 200 })).groups.edges.map((e) => e.node);
    },
    async hostIdByMac(op, mac) {
      as(op);
      return (await runQuery(client, D.HostByMacDocument, { mac })).hostByMac?.id ?? null;
    },
    async startDeploy(op, hostId, imageId) {
      as(op);
      const r = (
        await runMutation(client, D.StartDeployDocument, { hostIds: [hostId], imageId, scheduledAt: null })
      ).startDeploy;
      return toCommandResult(r, 'StartDeploySuccess', () => 'deploy queued');
    },
    async joinMulticast(op, hostId, sessionName) {
      as(op);
      const r = (await runMutation(client, D.JoinMulticastSessionDocument, { sessionName, hostId }))
        .joinMulticastSession;
      return joinResult(r, sessionName);
    },
    async deleteHost(op, id) {
      as(op);
      const r = (await runMutation(client, D.DeleteHostDocument, { id })).deleteHost;
      return toCommandResult(r, 'DeleteHostSuccess', () => 'host deleted');
    },
    async approveHost(op, id) {
      as(op);
      const r = (await runMutation(client, D.ApproveHostDocument, { id })).approveHost;
      return toCommandResult(r, 'ApproveHostSuccess', () => 'host approved');
    },
  };
}

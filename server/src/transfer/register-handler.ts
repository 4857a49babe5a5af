/**
 * `POST /v1/register`: FOG's boot-menu registration (full or quick). No token: the machine
 * registers itself, and the result is a PENDING host an operator must approve, so nothing is granted.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inArray } from 'drizzle-orm';
import { groupMembers, groups } from '../groups/groups-table.ts';
import {
  DuplicateHostNameError,
  DuplicateMacError,
  InvalidHostNameError,
  InvalidMacError,
} from '../hosts/host-errors.ts';
import type { HostRecord } from '../hosts/host-store.ts';
import { normalizeMac } from '../hosts/mac-address.ts';
import { clientAddress, KIB, readJson, sendJson } from './http-io.ts';
import { registerBody } from './request-schemas.ts';
import type { TransferCore } from './transfer-core.ts';
import { TransferError } from './transfer-errors.ts';

/** The hosts service's typed refusals, in the data plane's closed list of codes. */
function asTransferError(err: unknown): unknown {
  if (err instanceof InvalidHostNameError) return new TransferError('INVALID_HOST_NAME', err.message);
  if (err instanceof InvalidMacError) return new TransferError('INVALID_MAC', err.message);
  if (err instanceof DuplicateHostNameError) return new TransferError('DUPLICATE_HOST_NAME', err.message);
  if (err instanceof DuplicateMacError) return new TransferError('ALREADY_REGISTERED', err.message);
  return err;
}

/** Unknown image or group ids are refused before anything is written. */
async function checkRefs(core: TransferCore, imageId: string | null, groupIds: readonly string[]) {
  if (imageId && !(await core.deps.images.getImage(imageId))) {
    throw new TransferError('INVALID_REQUEST', 'imageId: no such image');
  }
  if (groupIds.length === 0) return;
  const found = await core.deps.db
    .select({ id: groups.id })
    .from(groups)
    .where(inArray(groups.id, [...groupIds]));
  if (found.length !== new Set(groupIds).size)
    throw new TransferError('INVALID_REQUEST', 'groupIds: no such group');
}

async function audit(
  core: TransferCore,
  req: IncomingMessage,
  mac: string,
  host: HostRecord | null,
  outcome: string,
) {
  await core.deps.audit
    .append({
      actorUserId: null,
      actorTokenId: null,
      actorName: `anonymous client:${mac.slice(0, 32)}`,
      action: 'client.register',
      targetIds: host ? [host.id] : [],
      input: { mac: mac.slice(0, 32) },
      allowed: outcome === 'OK',
      outcome,
      clientAddress: clientAddress(req),
      requestId: null,
    })
    .catch((err: unknown) => core.deps.log.error({ err }, 'register audit failed'));
}

export async function handleRegister(core: TransferCore, req: IncomingMessage, res: ServerResponse) {
  const body = await readJson(req, 256 * KIB, registerBody);
  const mac = normalizeMac(body.mac);
  try {
    if (!mac) throw new TransferError('INVALID_MAC', 'mac: not a unicast MAC address');
    if (body.mode === 'full' && !body.name) throw new TransferError('INVALID_HOST_NAME', 'name: required');
    if (await core.deps.hosts.findHostByMac(mac)) {
      throw new TransferError('ALREADY_REGISTERED', `MAC ${mac} already belongs to a host`);
    }
    const groupIds = body.groupIds ?? [];
    await checkRefs(core, body.imageId ?? null, groupIds);
    const host = await core.deps.hosts
      .registerHost({
        macs: [mac],
        name: body.mode === 'full' ? body.name : null,
        systemUuid: body.uuid ?? null,
      })
      .catch((err: unknown) => Promise.reject(asTransferError(err)));
    await core.deps.hosts.inventory.saveInventory(host.id, body.inventory);
    if (groupIds.length > 0) {
      await core.deps.db
        .insert(groupMembers)
        .values([...new Set(groupIds)].map((groupId) => ({ groupId, hostId: host.id })))
        .onConflictDoNothing();
    }
    await audit(core, req, mac, host, 'OK');
    sendJson(res, 201, { host: { state: 'pending', name: host.name } });
  } catch (err) {
    if (err instanceof TransferError) await audit(core, req, mac ?? body.mac, null, err.code);
    throw err;
  }
}

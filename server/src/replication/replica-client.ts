/**
 * The source side's calls to a replica's `/v1/replication/` (PROTOCOL.md "Replication"), with
 * fetch: a handful of requests per image version and one per missing chunk, so no pooled raw
 * sockets as the client agent's block reader has.
 */
import { fetchFailure } from '../app/fetch-failure.ts';

/** What a node answered, or that it could not be reached; `nodeWide` stops the pass for that node. */
export class ReplicaRefusedError extends Error {
  readonly code: string;
  readonly nodeWide: boolean;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'ReplicaRefusedError';
    this.code = code;
    // Refusals about one version (its image, its manifest, one chunk) leave the node's other
    // versions to try; anything else (reach, token, room) would fail them all the same way.
    this.nodeWide = ![
      'IMAGE_NOT_REPLICA',
      'IMAGE_PROTECTED',
      'IMAGE_IN_USE',
      'VERSION_CONFLICT',
      'MISSING_BLOCKS',
      'INVALID_MANIFEST',
      'HASH_MISMATCH',
    ].includes(code);
  }
}

export interface ReplicaTarget {
  readonly name: string;
  readonly url: string;
  readonly token: string;
}

export interface VersionPush {
  readonly image: {
    readonly name: string;
    readonly description: string;
    readonly osType: string;
    readonly imageType: string;
    readonly keepVersions: number | null;
  };
  readonly number: number;
  readonly current: boolean;
  readonly manifest: unknown;
}

const TIMEOUT_MS = 120_000;

export function createReplicaClient(node: ReplicaTarget, source: string) {
  async function request(method: string, path: string, body: Uint8Array | string, type: string) {
    let res: Response;
    try {
      res = await fetch(`${node.url}/v1/replication/${path}`, {
        method,
        headers: { authorization: `Bearer ${node.token}`, 'brume-source': source, 'content-type': type },
        // Chunks are read into plain ArrayBuffers by the store (never shared memory).
        ...(body === '' ? {} : { body: body as Uint8Array<ArrayBuffer> | string }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      const why = fetchFailure(err, TIMEOUT_MS);
      throw new ReplicaRefusedError('UNREACHABLE', `node ${node.name} (${node.url}) unreachable: ${why}`);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // A proxy's HTML page, say: named by its status below.
    }
    if (!res.ok) {
      const code = typeof json.code === 'string' ? json.code : `HTTP_${res.status}`;
      const message = typeof json.message === 'string' ? json.message : text.slice(0, 200);
      throw new ReplicaRefusedError(code, `node ${node.name} refused (${res.status} ${code}): ${message}`);
    }
    return json;
  }
  const json = (value: unknown) => JSON.stringify(value);

  return {
    async missing(hashes: readonly string[]): Promise<string[]> {
      const answer = await request('POST', 'missing', json({ hashes }), 'application/json');
      return Array.isArray(answer.missing) ? answer.missing.filter((h) => typeof h === 'string') : [];
    },
    putChunk: (hash: string, compressed: Uint8Array) =>
      request('PUT', `chunks/${hash}`, compressed, 'application/zstd'),
    /** The node deletes its copy of an image this source deleted (false: it had none). */
    async deleteImage(name: string): Promise<{ deleted: boolean }> {
      const answer = await request('DELETE', `images/${name}`, '', 'application/json');
      return { deleted: answer.deleted === true };
    },
    async putVersion(versionId: string, push: VersionPush): Promise<{ created: boolean }> {
      const answer = await request('PUT', `versions/${versionId}`, json(push), 'application/json');
      return { created: answer.created === true };
    },
  };
}

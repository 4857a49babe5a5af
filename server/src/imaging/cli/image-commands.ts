/** The `brume image` sub-commands: parse is done by the dispatcher; each calls one engine function. */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { type OpenedDisk, openDisk } from '../disk/open-disk.ts';
import { captureDisk } from '../pipeline/capture.ts';
import { deployImage } from '../pipeline/deploy.ts';
import { openLocalStore } from '../pipeline/image-store.ts';
import { verifyImage } from '../pipeline/verify-image.ts';
import { collectGarbage } from '../store/garbage-collect.ts';
import { type CliIo, iec, progressSink, seconds } from './cli-output.ts';

export interface CommonFlags {
  readonly store: string;
  readonly json: boolean;
  readonly signal: AbortSignal;
  readonly io: CliIo;
}

function print(io: CliIo, json: boolean, data: unknown, human: string): void {
  io.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
}

async function withDisk<T>(path: string, write: boolean, fn: (disk: OpenedDisk) => Promise<T>): Promise<T> {
  // Direct transfers where the disk allows (direct-io.ts): a capture or deploy streams the disk once.
  const disk = await openDisk(path, { write, direct: true });
  try {
    return await fn(disk);
  } finally {
    await disk.close();
  }
}

export interface CaptureFlags extends CommonFlags {
  readonly disk: string;
  readonly name: string;
  readonly blockSize?: number;
  readonly level?: number;
  readonly workers?: number;
  readonly partitions?: number[];
}

export async function captureCommand(f: CaptureFlags): Promise<number> {
  const sink = progressSink(f.io, `capture ${f.name}`);
  const result = await withDisk(f.disk, false, (disk) =>
    captureDisk({
      disk,
      store: openLocalStore(f.store, f.level === undefined ? {} : { level: f.level }),
      name: f.name,
      progress: sink,
      signal: f.signal,
      ...(f.blockSize === undefined ? {} : { blockSize: f.blockSize }),
      ...(f.level === undefined ? {} : { level: f.level }),
      ...(f.workers === undefined ? {} : { workers: f.workers }),
      ...(f.partitions?.length ? { partitions: f.partitions } : {}),
    }),
  ).finally(() => sink.end());
  const s = result.stats;
  print(
    f.io,
    f.json,
    { name: f.name, version: result.version, stats: s, totals: result.manifest.totals },
    `captured ${f.name} version ${result.version}: ${s.blocksTotal} blocks, ${iec(s.bytesRead)} read, ` +
      `${iec(s.bytesNew)} new in the store (${s.blocksDeduplicated} blocks deduplicated) in ${seconds(s.seconds)}`,
  );
  return 0;
}

export interface DeployFlags extends CommonFlags {
  readonly disk: string;
  readonly name: string;
  readonly version?: number;
  readonly verify: boolean;
  readonly doneMap?: string;
}

/** Default done-map: /var/tmp survives a reboot; the name is tied to the target's real path. */
async function defaultDoneMap(disk: string, name: string): Promise<string> {
  const key = createHash('sha256')
    .update(`${await realpath(disk)}\0${name}`)
    .digest('hex')
    .slice(0, 16);
  return join('/var/tmp', `brume-deploy-${key}.done`);
}

export async function deployCommand(f: DeployFlags): Promise<number> {
  const store = openLocalStore(f.store);
  const manifest = await store.manifests.read(f.name, f.version);
  const doneMapPath = f.doneMap ?? (await defaultDoneMap(f.disk, f.name));
  const sink = progressSink(f.io, `deploy ${f.name}`);
  const s = await withDisk(f.disk, true, (disk) =>
    deployImage({
      store: store.chunks,
      manifest,
      disk,
      progress: sink,
      signal: f.signal,
      verify: f.verify,
      doneMapPath,
    }),
  ).finally(() => sink.end());
  print(
    f.io,
    f.json,
    { name: f.name, stats: s },
    `deployed ${f.name}: ${s.blocksWritten} blocks written, ${s.blocksSkipped} already on the target, ` +
      `${s.blocksResumed} resumed, ${iec(s.bytesFetched)} fetched${f.verify ? `, ${s.blocksVerified} verified` : ''} in ${seconds(s.seconds)}`,
  );
  return 0;
}

export interface ImageFlags extends CommonFlags {
  readonly name: string;
  readonly version?: number;
}

export async function verifyCommand(f: ImageFlags): Promise<number> {
  const store = openLocalStore(f.store);
  const manifest = await store.manifests.read(f.name, f.version);
  const sink = progressSink(f.io, `verify ${f.name}`);
  const r = await verifyImage({ store: store.chunks, manifest, progress: sink, signal: f.signal }).finally(
    () => sink.end(),
  );
  const lines = r.problems.map((p) => `  ${p.code} ${p.hash}: ${p.error}`);
  print(
    f.io,
    f.json,
    { name: f.name, ok: r.problems.length === 0, ...r },
    [
      `${r.chunks} chunks, ${iec(r.bytes)}: ${r.problems.length === 0 ? 'all verified' : `${r.problems.length} bad`}`,
      ...lines,
    ].join('\n'),
  );
  return r.problems.length === 0 ? 0 : 1;
}

export async function infoCommand(f: ImageFlags): Promise<number> {
  const store = openLocalStore(f.store);
  const manifest = await store.manifests.read(f.name, f.version);
  const versions = await store.manifests.listVersions(f.name);
  const current = await store.manifests.currentVersion(f.name);
  const { blocks: _blocks, ...summary } = manifest;
  const parts = manifest.partitions.map(
    (p) =>
      `  p${p.number} ${p.fs.padEnd(7)} start ${p.start} size ${iec(p.size)} used ${iec(p.usedBytes)} in ${p.blocks} blocks`,
  );
  print(
    f.io,
    f.json,
    { ...summary, versions, current },
    [
      `${manifest.name} (versions ${versions.join(', ')}; current ${current})`,
      `  created ${manifest.createdAt}, block ${iec(manifest.blockSize)}, zstd -${manifest.compression.level}`,
      `  disk ${iec(manifest.disk.size)} ${manifest.disk.table}, sector ${manifest.disk.sectorSize}`,
      ...parts,
      `  ${manifest.totals.blocks} blocks, ${iec(manifest.totals.blockBytes)} of blocks, ${iec(manifest.totals.storedBytes)} stored`,
    ].join('\n'),
  );
  return 0;
}

export interface GcFlags extends CommonFlags {
  readonly graceHours: number;
  readonly dryRun: boolean;
}

export async function gcCommand(f: GcFlags): Promise<number> {
  const store = openLocalStore(f.store);
  const r = await collectGarbage({
    chunks: store.chunks,
    manifests: store.manifests,
    graceMs: f.graceHours * 3600_000,
    dryRun: f.dryRun,
  });
  print(
    f.io,
    f.json,
    r,
    `${r.manifests} manifests, ${r.referenced} chunks referenced; removed ${r.removed} (${iec(r.removedBytes)})` +
      `${f.dryRun ? ' [dry run]' : ''}, kept ${r.keptYoung} recent unreferenced; ${r.missing.length} referenced chunks missing`,
  );
  return r.missing.length === 0 ? 0 : 1;
}

/**
 * capture / deploy / recapture / redeploy: our engine against partclone + zstd on the bench
 * fixture's NTFS partition, interleaved (ours, anchor, ours, anchor, ...), medians reported.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  allocSlot,
  boundedRun,
  type CaptureResult,
  captureDisk,
  deployImage,
  type Manifest,
  openDisk,
  openLocalStore,
} from '../server/src/imaging/index.ts';
import { GROUP_BYTES, groupBlocks, LANES_PER_GROUP } from '../server/src/imaging/pipeline/deploy-groups.ts';
import {
  anchor,
  blankFile,
  FIXTURE_DISK,
  fixtureInfo,
  freshDir,
  type ImagingBenchOptions,
  loadAverage,
  log,
  median,
  parseBenchOptions,
  round3,
  timed,
  WORK,
  warm,
} from './imaging-common.ts';
import type { Bench } from './main.ts';

const run = promisify(execFile);

async function captureOnce(
  o: ImagingBenchOptions,
  storeDir: string,
): Promise<{ seconds: number; value: CaptureResult }> {
  // As the CLI and the client open a disk to capture: direct reads where it allows them.
  const disk = await openDisk(FIXTURE_DISK, { direct: true });
  try {
    return await timed(() =>
      captureDisk({
        disk,
        store: openLocalStore(storeDir, { level: o.level }),
        name: 'bench',
        blockSize: o.blockSize,
        level: o.level,
        workers: o.workers,
        queueDepth: o.queueDepth,
        ...(o.partition ? { partitions: [o.partition] } : {}),
      }),
    );
  } finally {
    await disk.close();
  }
}

async function deployOnce(o: ImagingBenchOptions, storeDir: string, manifest: Manifest, target: string) {
  const disk = await openDisk(target, { write: true });
  try {
    return await timed(() =>
      deployImage({
        store: openLocalStore(storeDir).chunks,
        manifest,
        disk,
        workers: o.workers,
        queueDepth: o.queueDepth,
      }),
    );
  } finally {
    await disk.close();
  }
}

/** Drops the page cache of one file (GNU dd nocache), so target reads are not free. */
async function dropFileCache(path: string): Promise<void> {
  await run('dd', [
    'if=/dev/null',
    `of=${path}`,
    'oflag=nocache',
    'conv=notrunc,fdatasync',
    'count=0',
    'status=none',
  ]);
}

function rssMib(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function result(bench: string, ours: number[], anchorS: number[], oursBytes: number, anchorBytes: number) {
  return {
    bench,
    ours_s: round3(median(ours)),
    anchor_s: round3(median(anchorS)),
    ratio: round3(median(ours) / median(anchorS)),
    ours_bytes: oursBytes,
    anchor_bytes: anchorBytes,
    bytes_ratio: round3(oursBytes / anchorBytes),
    ours_rss_mib: rssMib(),
  };
}

async function prepare(args: readonly string[]) {
  const o = parseBenchOptions(args);
  fixtureInfo();
  log(`options ${JSON.stringify(o)}; load ${await loadAverage()}`);
  await warm(FIXTURE_DISK);
  return o;
}

async function anchorCapture(o: ImagingBenchOptions) {
  const a = await anchor('partclone-capture.sh', [
    FIXTURE_DISK,
    String(o.partition || 2),
    join(WORK, 'anchor.pc.zst'),
    String(o.level),
  ]);
  return { seconds: Number(a.wall_s), bytes: Number(a.bytes_out) };
}

const capture: Bench = {
  summary: 'capture the NTFS partition vs partclone.ntfs -c | zstd -T0 -3',
  async run(args) {
    const o = await prepare(args);
    const ours: number[] = [];
    const anch: number[] = [];
    let oursBytes = 0;
    let anchorBytes = 0;
    for (let r = 0; r < o.rounds; r++) {
      const c = await captureOnce(o, freshDir('capture-store'));
      ours.push(c.seconds);
      oursBytes = c.value.stats.bytesNew;
      const a = await anchorCapture(o);
      anch.push(a.seconds);
      anchorBytes = a.bytes;
      log(
        `capture round ${r + 1}: ours ${c.seconds.toFixed(2)} s ${oursBytes} B, anchor ${a.seconds} s ${a.bytes} B; load ${await loadAverage()}`,
      );
    }
    return result('capture', ours, anch, oursBytes, anchorBytes);
  },
};

const recapture: Bench = {
  summary: 'second capture of the same disk into the same store (new bytes, wall vs anchor capture)',
  async run(args) {
    const o = await prepare(args);
    const storeDir = freshDir('recapture-store');
    const first = await captureOnce(o, storeDir);
    const ours: number[] = [];
    const anch: number[] = [];
    let newBytes = 0;
    let anchorBytes = 0;
    for (let r = 0; r < o.rounds; r++) {
      const c = await captureOnce(o, storeDir);
      ours.push(c.seconds);
      newBytes = Math.max(newBytes, c.value.stats.bytesNew);
      const a = await anchorCapture(o);
      anch.push(a.seconds);
      anchorBytes = a.bytes;
      log(
        `recapture round ${r + 1}: ours ${c.seconds.toFixed(2)} s new ${newBytes} B, anchor ${a.seconds} s`,
      );
    }
    return {
      ...result('recapture', ours, anch, newBytes, anchorBytes),
      new_bytes_ratio: round3(newBytes / first.value.stats.bytesNew),
    };
  },
};

async function imageForDeploy(o: ImagingBenchOptions) {
  const storeDir = freshDir('deploy-store');
  const { value } = await captureOnce(o, storeDir);
  const a = await anchorCapture(o);
  return {
    storeDir,
    manifest: value.manifest,
    anchorImage: join(WORK, 'anchor.pc.zst'),
    anchorBytes: a.bytes,
  };
}

const deploy: Bench = {
  summary: 'deploy the NTFS partition onto a blank file vs zstd -dc | partclone.ntfs -r',
  async run(args) {
    const o = await prepare(args);
    const info = fixtureInfo();
    const img = await imageForDeploy(o);
    const target = join(WORK, 'target.img');
    const ours: number[] = [];
    const anch: number[] = [];
    let fetched = 0;
    for (let r = 0; r < o.rounds; r++) {
      await blankFile(target, img.manifest.disk.size);
      const d = await deployOnce(o, img.storeDir, img.manifest, target);
      ours.push(d.seconds);
      fetched = d.value.bytesFetched;
      const a = await anchor('partclone-restore.sh', [
        img.anchorImage,
        'ntfs',
        join(WORK, 'anchor-target.part'),
        info[`p${o.partition || 2}_size_bytes`] as string,
      ]);
      anch.push(Number(a.wall_s));
      log(
        `deploy round ${r + 1}: ours ${d.seconds.toFixed(2)} s (${JSON.stringify(d.value)}), anchor ${a.wall_s} s; load ${await loadAverage()}`,
      );
    }
    return result('deploy', ours, anch, fetched, img.anchorBytes);
  },
};

/** Overwrites the first 64 KiB of every 20th block (5 %) with bytes that differ from the image. */
async function damageBlocks(target: string, manifest: Manifest): Promise<number> {
  const disk = await openDisk(target, { write: true });
  const noise = new Uint8Array(64 * 1024).fill(0xa5);
  let n = 0;
  try {
    for (let i = 0; i < manifest.blocks.length; i += 20) {
      await disk.writeAt(noise, (manifest.blocks[i] as Manifest['blocks'][number]).offset);
      n++;
    }
    await disk.sync();
  } finally {
    await disk.close();
  }
  return n;
}

/**
 * The redeploy's floor on this disk: every image block read from the target, cold, with the
 * deploy's own reads (runs of touching blocks up to 8 MiB, direct where the file allows, as many
 * in flight as the deploy keeps) and nothing done with the bytes. A redeploy cannot skip a block
 * without reading it, so it cannot take less than this.
 */
async function coldRead(o: ImagingBenchOptions, target: string, manifest: Manifest): Promise<number> {
  await dropFileCache(target);
  const blockSize = manifest.blocks.reduce((m, b) => Math.max(m, b.length), 1);
  const groupBytes = Math.max(GROUP_BYTES, blockSize);
  const groups = groupBlocks(
    manifest.blocks,
    manifest.blocks.map((_, i) => i),
    groupBytes,
  );
  const disk = await openDisk(target, { write: true });
  try {
    const slots: Uint8Array[] = [];
    const runners = Math.max(1, Math.ceil(o.queueDepth / LANES_PER_GROUP));
    const t = await timed(() =>
      boundedRun(groups.length, runners, async (g, runner) => {
        const group = groups[g] as (typeof groups)[number];
        slots[runner] ??= allocSlot(groupBytes, disk).bytes;
        await disk.readAt(slots[runner] as Uint8Array, group.offset, group.length);
      }),
    );
    return t.seconds;
  } finally {
    await disk.close();
  }
}

const redeploy: Bench = {
  summary:
    'deploy onto a target holding the image with 5 % of blocks changed; ratio = redeploy / full deploy',
  async run(args) {
    const o = await prepare(args);
    const img = await imageForDeploy(o);
    const target = join(WORK, 'target.img');
    const full: number[] = [];
    const re: number[] = [];
    const cold: number[] = [];
    const cpu: number[] = [];
    let fetched = 0;
    for (let r = 0; r < o.rounds; r++) {
      await blankFile(target, img.manifest.disk.size);
      full.push((await deployOnce(o, img.storeDir, img.manifest, target)).seconds);
      const damaged = await damageBlocks(target, img.manifest);
      await dropFileCache(target);
      const before = process.cpuUsage();
      const d = await deployOnce(o, img.storeDir, img.manifest, target);
      const used = process.cpuUsage(before);
      // All threads of this process: on 2 cores the redeploy cannot take less than half of it.
      cpu.push((used.user + used.system) / 1e6);
      re.push(d.seconds);
      fetched = d.value.bytesFetched;
      cold.push(await coldRead(o, target, img.manifest));
      log(
        `redeploy round ${r + 1}: full ${full.at(-1)?.toFixed(2)} s, redeploy ${d.seconds.toFixed(2)} s (${cpu.at(-1)?.toFixed(2)} CPU s; ${damaged} blocks damaged, written ${d.value.blocksWritten}), cold read of the blocks ${cold.at(-1)?.toFixed(2)} s`,
      );
    }
    // What the ratio can reach here: the cold read alone over the full deploy, and the CPU.
    return {
      ...result('redeploy', re, full, fetched, img.manifest.totals.storedBytes),
      cold_read_s: round3(median(cold)),
      floor_ratio: round3(median(cold) / median(full)),
      ours_cpu_s: round3(median(cpu)),
      rounds_cold_read_s: cold.map(round3),
    };
  },
};

export const imagingBenches: Record<string, Bench> = { capture, deploy, recapture, redeploy };

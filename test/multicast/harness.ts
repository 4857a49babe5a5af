/**
 * TypeScript side of netns-harness.sh: builds the topology, starts sender and receiver processes
 * in their namespaces, generates test images in the engine's chunk store, checks target disks.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManifestChunkRef, openLocalStore } from '../../server/src/imaging/index.ts';
import { nodeArgsFor } from '../../server/src/multicast/runner/process-bundle.ts';
import {
  issueTicket,
  newSessionSecrets,
  type SessionSecrets,
  type SessionTicket,
} from '../../server/src/multicast/wire/session-ticket.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const REPO = join(HERE, '..', '..');
const SCRIPT = join(HERE, 'netns-harness.sh');
export const SENDER_ADDR = '198.18.0.1';
export const GROUP = '239.77.0.1';
export const DATA_PORT = 9400;
export const CONTROL_PORT = 9401;
export const receiverAddr = (i: number) => `198.18.0.${10 + i}`;

export class HarnessUnavailableError extends Error {
  readonly code = 'HARNESS_UNAVAILABLE';
}

/** The multicast tests need root and iproute2/nftables: fail loudly, never skip silently. */
export function requireNetns(): void {
  if (process.getuid?.() !== 0) throw new HarnessUnavailableError('multicast netns tests must run as root');
  for (const tool of ['ip', 'nft', 'tc']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new HarnessUnavailableError(`${tool} missing: apt-get install iproute2 nftables`);
    }
  }
}

let counter = 0;

export class Topology {
  readonly prefix = `brmc-${process.pid}-${counter++}`;
  private readonly procs = new Set<ChildProcess>();

  /** `forger: false` (benchmarks): no forger port, the anchor's topology exactly. */
  up(receivers: number, loss: string | number = 0, linkRate?: string, forger = true): void {
    execFileSync(SCRIPT, ['up', this.prefix, String(receivers), String(loss)], {
      env: { ...process.env, LINK_RATE: linkRate ?? '', NO_FORGER: forger ? '' : '1' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  down(): void {
    for (const p of this.procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    execFileSync(SCRIPT, ['down', this.prefix], { stdio: 'ignore' });
  }

  ns(host: string): string {
    return `${this.prefix}-${host}`;
  }

  /** `ip netns exec NS node --import tsx ENTRY CONFIG`, output parsed as JSON lines. */
  spawnNode(host: string, entry: string, configFile: string, nodeArgs: string[] = []): Proc {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.ns(host),
        process.execPath,
        ...nodeArgs,
        ...nodeArgsFor(join(REPO, entry)),
        configFile,
      ],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.procs.add(child);
    return new Proc(child);
  }

  /** Bytes the host's veth sent (layer 2, as the kernel counts them). */
  txBytes(host: string): number {
    const out = execFileSync('ip', [
      'netns',
      'exec',
      this.ns(host),
      'cat',
      `/sys/class/net/v-${host}/statistics/tx_bytes`,
    ]);
    return Number(out.toString().trim());
  }
}

/** A child process whose stdout is JSON lines: progress events and a final report. */
export class Proc {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>> = [];
  stderr = '';
  readonly exited: Promise<number>;
  private listeners: Array<(l: Record<string, unknown>) => void> = [];

  constructor(child: ChildProcess) {
    this.child = child;
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const l = JSON.parse(line) as Record<string, unknown>;
          this.lines.push(l);
          for (const f of this.listeners) f(l);
        } catch {
          this.stderr += `${line}\n`;
        }
      }
    });
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
    );
  }

  get report(): Record<string, unknown> | undefined {
    return this.lines.findLast((l) => l.event === 'report');
  }

  /** Resolves with the first line matching, or rejects after timeoutMs. */
  waitFor(
    pred: (l: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    const hit = this.lines.find(pred);
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`timeout waiting for a line; stderr: ${this.stderr.slice(-500)}`)),
        timeoutMs,
      );
      this.listeners.push((l) => {
        if (pred(l)) {
          clearTimeout(t);
          resolve(l);
        }
      });
    });
  }
}

export interface TestImage {
  readonly dir: string;
  readonly store: string;
  readonly blocksFile: string;
  readonly blocks: ManifestChunkRef[];
  readonly diskSize: number;
  readonly storedBytes: number;
}

/**
 * A generated image in the engine's chunk store: blocks mixing keystream (incompressible),
 * text-like runs and zeros, like a system disk; stored zstd -3 by the engine.
 */
export async function makeImage(totalBytes: number, blockSize: number): Promise<TestImage> {
  const dir = mkdtempSync(join(tmpdir(), 'brmc-image-'));
  const store = join(dir, 'store');
  const { chunks } = openLocalStore(store);
  const blocks: ManifestChunkRef[] = [];
  const words = Buffer.from('Event 4624 logon success account SYSTEM domain NT AUTHORITY <xml a="1"/>\n');
  let storedBytes = 0;
  for (let i = 0; i < Math.ceil(totalBytes / blockSize); i++) {
    const offset = i * 2 * blockSize;
    const data = Buffer.alloc(blockSize);
    const split = Math.floor(blockSize * (0.3 + (0.4 * ((i * 37) % 10)) / 10));
    randomBytes(split).copy(data, 0);
    for (let p = split; p < blockSize - blockSize / 8; p += words.length)
      words.copy(data, p, 0, Math.min(words.length, blockSize - p));
    data.writeUInt32BE(i, blockSize - 8);
    const put = await chunks.put(data);
    storedBytes += put.storedSize;
    // Holes between blocks: a block is written at its own offset, never "the next one".
    blocks.push({ offset, length: blockSize, hash: put.hash, storedSize: put.storedSize });
  }
  await chunks.flush();
  const blocksFile = join(dir, 'blocks.json');
  writeFileSync(blocksFile, JSON.stringify({ blocks }));
  const last = blocks[blocks.length - 1];
  return { dir, store, blocksFile, blocks, diskSize: last ? last.offset + 2 * blockSize : 0, storedBytes };
}

export function makeDisk(path: string, size: number): void {
  const fd = openSync(path, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
}

/** Indexes of blocks whose bytes at their own offset do not hash to the manifest's hash. */
export function badBlocksOnDisk(path: string, blocks: readonly ManifestChunkRef[]): number[] {
  const fd = openSync(path, 'r');
  const bad: number[] = [];
  try {
    const buf = Buffer.alloc(Math.max(...blocks.map((b) => b.length)));
    blocks.forEach((b, i) => {
      readSync(fd, buf, 0, b.length, b.offset);
      if (createHash('sha256').update(buf.subarray(0, b.length)).digest('hex') !== b.hash) bad.push(i);
    });
  } finally {
    closeSync(fd);
  }
  return bad;
}

export interface SessionSetup {
  readonly secrets: SessionSecrets;
  readonly tickets: SessionTicket[];
}

export function makeSession(
  receivers: number,
  blockCount: number,
  dataMac: boolean,
  fragmentSize?: number,
): SessionSetup {
  const secrets = newSessionSecrets();
  const params = {
    group: GROUP,
    dataPort: DATA_PORT,
    senderAddress: SENDER_ADDR,
    controlPort: CONTROL_PORT,
    dataMac,
    blockCount,
    ...(fragmentSize ? { fragmentSize } : {}),
  };
  return { secrets, tickets: Array.from({ length: receivers }, () => issueTicket(secrets, params)) };
}

export function writeJson(dir: string, name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(value), { mode: 0o600 });
  return p;
}

export function secretsJson(s: SessionSecrets) {
  return {
    sessionId: s.sessionId.toString(16).padStart(16, '0'),
    groupKey: s.groupKey.toString('hex'),
    masterKey: s.masterKey.toString('hex'),
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const SENDER_ENTRY = 'server/src/multicast/multicast-sender-process.ts';
export const RECEIVER_ENTRY = 'server/src/multicast/multicast-receiver-process.ts';

/** True when every byte outside the blocks' ranges is zero: nothing was written anywhere else. */
export function holesAreZero(path: string, blocks: readonly ManifestChunkRef[]): boolean {
  const fd = openSync(path, 'r');
  try {
    const sorted = [...blocks].sort((a, b) => a.offset - b.offset);
    let pos = 0;
    const buf = Buffer.alloc(1024 * 1024);
    const checkRange = (from: number, to: number): boolean => {
      for (let at = from; at < to; at += buf.length) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, to - at), at);
        for (let i = 0; i < n; i++) if (buf[i] !== 0) return false;
      }
      return true;
    };
    for (const b of sorted) {
      if (!checkRange(pos, b.offset)) return false;
      pos = b.offset + b.length;
    }
    return checkRange(pos, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

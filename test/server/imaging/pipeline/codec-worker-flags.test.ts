/**
 * The codec's worker threads start whatever flags the process was started with: Node refuses
 * V8's own flags in a Worker's execArgv (ERR_WORKER_INVALID_EXEC_ARGV), flags for the main
 * script break a worker, and an operator's `node --max-old-space-size=...` used to make every
 * worker, hence every verification, fail.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../../../server/src/imaging/pipeline/chunk-codec-pool.ts';

const CODEC = new URL('../../../../server/src/imaging/pipeline/chunk-codec-pool.ts', import.meta.url)
  .pathname;

describe('codec workers and the process flags', () => {
  it('keeps profiling and warning flags (with their values), drops the rest', () => {
    expect(
      workerExecArgv([
        '--import',
        'tsx',
        '--max-old-space-size=512',
        '--max_semi_space_size=4',
        '--cpu-prof',
        '--cpu-prof-dir',
        '/tmp/profiles',
        '--trace-gc',
        '--input-type=module',
        '-e',
        'console.log(1)',
        '--enable-source-maps',
      ]),
    ).toEqual(['--cpu-prof', '--cpu-prof-dir', '/tmp/profiles', '--enable-source-maps']);
  });

  it('Given a process started with V8 heap flags, when the codec digests on a worker, then it answers', () => {
    const script = `
      import { allocSlot, createCodec } from ${JSON.stringify(CODEC)};
      const codec = createCodec(1);
      const slot = allocSlot(1024);
      slot.bytes.fill(7);
      console.log(await codec.digest(slot, 1024));
      await codec.close();
    `;
    const out = execFileSync(
      process.execPath,
      [
        '--max-old-space-size=512',
        '--max-semi-space-size=4',
        '--initial-old-space-size=64',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(out.trim()).toBe(createHash('sha256').update(Buffer.alloc(1024, 7)).digest('hex'));
  });
});

/**
 * Multicast processes start from an esbuild bundle of their entry (process-bundle.ts): the bundle
 * is the real entry (it reads its config and fails like the source would), the codec's worker
 * sits beside it, and it starts without tsx.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nodeArgsFor } from '../../../server/src/multicast/runner/process-bundle.ts';

const MULTICAST = fileURLToPath(new URL('../../../server/src/multicast/', import.meta.url));
const SENDER = join(MULTICAST, 'multicast-sender-process.ts');
const RECEIVER = join(MULTICAST, 'multicast-receiver-process.ts');

describe('multicast process bundles', () => {
  it('Given the sender entry, when bundled twice, then one .mjs file (named by content) runs it without tsx', () => {
    const args = nodeArgsFor(SENDER);
    expect(args).toHaveLength(1);
    const bundle = args[0] as string;
    expect(bundle).toMatch(/multicast-sender-process\.[0-9a-f]{16}\.mjs$/);
    expect(nodeArgsFor(SENDER)).toEqual(args);
    expect(existsSync(bundle)).toBe(true);
    // Run as a plain node script, with a missing config: the entry's own error, exit code 2.
    const run = spawnSync(process.execPath, [bundle, '/nonexistent/sender.json'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      "multicast sender: ENOENT: no such file or directory, open '/nonexistent/sender.json'",
    );
    // Nothing of tsx was loaded: the bundle imports no TypeScript.
    expect(readFileSync(bundle, 'utf8')).not.toMatch(/from "\.[^"]*\.ts"/);
  });

  it('Given the receiver entry, when bundled, then the chunk codec worker file is beside it (loaded by URL)', () => {
    const [bundle] = nodeArgsFor(RECEIVER) as [string];
    expect(basename(bundle)).toMatch(/^multicast-receiver-process\.[0-9a-f]{16}\.mjs$/);
    expect(existsSync(join(dirname(bundle), 'chunk-worker.mjs'))).toBe(true);
    const run = spawnSync(process.execPath, [bundle, '/nonexistent/receiver.json'], { encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('/nonexistent/receiver.json');
  });
});

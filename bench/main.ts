/**
 * `npm run bench -- <name> [<name>...] [options]`: a small registry of named benchmarks. Each prints
 * its progress on stderr and returns one record; the records are printed last on stdout, one JSON
 * line each, for tools that read the last lines.
 */
import { captureFloorBenches } from './capture-floor.ts';
import { imagingBenches } from './imaging-benches.ts';
import { codec } from './imaging-codec.ts';
import { multicastBenches } from './multicast.ts';
import { unicastBenches } from './unicast.ts';

export interface Bench {
  readonly summary: string;
  run(args: readonly string[]): Promise<Record<string, unknown>>;
}

const benches: Record<string, Bench> = {
  ...imagingBenches,
  ...multicastBenches,
  ...unicastBenches,
  ...captureFloorBenches,
  codec,
};

function usage(): string {
  const rows = Object.entries(benches).map(([name, b]) => `  ${name.padEnd(12)} ${b.summary}`);
  return `usage: npm run bench -- <name>... [options]\n\nbenches:\n${rows.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const names = argv.filter((a, i) => !a.startsWith('-') && !argv[i - 1]?.startsWith('--'));
  const options = argv.filter((a) => !names.includes(a));
  if (names.length === 0 || names.some((n) => !(n in benches))) {
    process.stderr.write(usage());
    return 2;
  }
  const records: Record<string, unknown>[] = [];
  for (const name of names) records.push(await (benches[name] as Bench).run(options));
  for (const record of records) process.stdout.write(`${JSON.stringify(record)}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));

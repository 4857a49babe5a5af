/**
 * Entry of the `brume` command. Each sub-command lives in its own module and is loaded lazily so
 * `brume image` never pays for React and `brume console` never loads the imaging engine.
 * Exit codes: 0 ok, 1 failure, 2 usage.
 */
type CommandMain = (args: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<CommandMain> }> = {
  image: {
    summary: 'capture, deploy, verify and inspect images locally (no server)',
    load: async () => (await import('@brume/server/imaging/cli/image-cli.ts')).imageCli,
  },
  client: {
    summary: 'the imaging client: check in by MAC, run the pending task (capture, deploy, inventory, wipe)',
    load: async () => (await import('../agent/client-cli.ts')).clientCli,
  },
  console: {
    summary: 'the admin console: hosts, images, tasks, multicast, audit, live (--server URL)',
    load: async () => (await import('./console-command.tsx')).consoleCli,
  },
  menu: {
    summary: "the client's FOG boot menu and transfer screen (--server URL --disk PATH --mac MAC)",
    load: async () => (await import('./menu-command.tsx')).menuCli,
  },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return `usage: brume <command> [options]\n\ncommands:\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`brume: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  return (await command.load())(rest);
}

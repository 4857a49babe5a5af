/**
 * Text captures of both faces for the README: one machine's story on a throwaway server, each
 * screen read from tmux (80x24, NO_COLOR) and printed to stdout.
 * `node --import tsx test/tui/e2e/capture-screens.ts > /tmp/screens.txt`
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeGlobalID } from '../../../server/src/graphql/global-id.ts';
import {
  blankFile,
  createHost,
  createImage,
  FIXTURE_DISK,
  REPO,
  rawId,
  seedImage,
  startDeploy,
  startTransferApp,
} from '../../server/transfer/transfer-harness.ts';
import { TmuxSession } from '../tmux-driver.ts';

const a = await startTransferApp();
const sessions: TmuxSession[] = [];
const show = (title: string, screen: string) => process.stdout.write(`===== ${title}\n${screen}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

try {
  const admin = await a.t.createUser('ADMIN', 'lab-admin');
  const image = await createImage(a, 'win11-lab');
  await seedImage(a, image.id, image.name, FIXTURE_DISK);
  await seedImage(a, image.id, image.name, FIXTURE_DISK); // a second version: every chunk shared
  await createHost(a, '52:54:00:cc:00:01');
  await createHost(a, '52:54:00:cc:00:02');
  const env = { NO_COLOR: '1', XDG_CONFIG_HOME: path.join(a.work, 'xdg'), HOME: a.work };
  const console = await TmuxSession.start(['node', 'tui/bin/brume.js', 'console', '--server', a.base], {
    cwd: REPO,
    env: { ...env, BRUME_TOKEN: admin.token },
  });
  sessions.push(console);
  show('console dashboard', await console.waitForText(/chunks/, 30_000));

  const mac = '52:54:00:cc:00:09';
  const disk = path.join(a.work, 'target.img');
  blankFile(disk, fs.statSync(FIXTURE_DISK).size);
  const inventory = path.join(a.work, 'inventory.json');
  fs.writeFileSync(inventory, JSON.stringify({ systemProduct: 'Standard PC', disks: [], nics: [] }));
  const args = ['node', 'tui/bin/brume.js', 'menu', '--server', a.base, '--disk', disk, '--mac', mac];
  const menuArgs = [...args, '--timeout', '0', '--inventory', inventory];
  const menu = await TmuxSession.start(menuArgs, { cwd: REPO, env });
  sessions.push(menu);
  show('client menu, unregistered', await menu.waitForText('Host is NOT registered!', 30_000));
  for (let i = 0; i < 3; i++) {
    await menu.sendKeys(['Down']);
    await sleep(300);
  }
  await menu.sendKeys(['Enter']);
  await menu.waitForText('Host is pending approval!', 30_000);
  await menu.kill();

  const host = await a.t.app.services.hosts.findHostByMac(mac);
  if (!host) throw new Error('not registered');
  await a.t.app.services.hosts.approveHost(host.id);
  await console.sendKeys(['h']);
  show('console hosts', await console.waitForText(/525400cc0009\s.*approved/, 10_000));
  await startDeploy(a, encodeGlobalID('Host', host.id), image.id);
  await console.sendKeys(['t']);
  await console.waitForText(/DEPLOY\s+525400cc0009/, 10_000);
  const client = await TmuxSession.start(args, { cwd: REPO, env });
  sessions.push(client);
  const [live, running] = await Promise.all([
    console.waitForText(/DEPLOY 525400cc0009 +[#-]+ +[1-9]\d?\.\d%/, 120_000).catch(() => console.capture()),
    client.waitForText(/Blocks (?:[6-9]\d|1[0-4]\d)\//, 120_000).catch(() => client.capture()),
  ]);
  show('console tasks, live', live);
  show('client transfer, running', running);
  show('client transfer, done', await client.waitForText('✓ complete', 180_000));
  await console.sendKeys(['i']);
  show('console images', await console.waitForText('win11-lab', 10_000));

  // A multicast session waiting for its receivers, one host joined by name
  const reference = await createHost(a, '52:54:00:cc:00:03');
  await a.t.app.services.multicast.createMulticastSession(
    { name: 'labo-7', imageId: rawId(image.id), minReceivers: 2, maxWaitSeconds: 600 },
    { userId: null },
  );
  const join = await a.gql(
    'mutation($i: JoinMulticastSessionInput!) { joinMulticastSession(input: $i) { __typename } }',
    { token: a.operator, variables: { i: { sessionName: 'labo-7', hostId: reference.id } } },
  );
  if (join.errors) throw new Error(JSON.stringify(join.errors));
  await console.sendKeys(['m']);
  show('console multicast', await console.waitForText('└', 10_000));
} finally {
  for (const s of sessions) await s.kill();
  await a.close();
}
process.exit(0);

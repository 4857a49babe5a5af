/**
 * A throwaway server for trying the TUI by hand or from tmux: the test harness app on a fresh
 * database, an admin and a few hosts; prints `URL TOKEN` and runs until killed.
 * `node --import tsx test/tui/e2e/dev-server.ts`
 */
import { startTestApp } from '../../support/app.ts';

const t = await startTestApp();
const { url } = await t.listen();
const admin = await t.createUser('ADMIN', 'admin2');
const names = ['lab-01', 'lab-02', 'reference'];
for (const [i, name] of names.entries()) {
  await t.gql(
    `mutation($n: String!, $m: String!) { createHost(input: { name: $n, macs: [$m] }) { __typename } }`,
    {
      token: admin.token,
      variables: { n: name, m: `52:54:00:cc:00:0${i + 1}` },
    },
  );
}
process.stdout.write(`${url.replace(/\/graphql$/, '')} ${admin.token} ${admin.password}\n`);
const stop = async () => {
  await t.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

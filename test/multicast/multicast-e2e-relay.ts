/**
 * Run inside the sender's namespace by multicast-e2e.test.ts: TCP HOST:PORT → the Unix socket
 * PATH (a path socket crosses network namespaces), where the test process relays to the API on
 * its loopback. Clients in the receiver namespaces reach the server as http://HOST:PORT.
 */
import net from 'node:net';

const [host, port, path] = process.argv.slice(2);
if (!host || !port || !path) {
  process.stderr.write('usage: multicast-e2e-relay.ts HOST PORT UNIX_PATH\n');
  process.exit(2);
}
net
  .createServer((client) => {
    const upstream = net.connect(path);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  })
  .listen(Number(port), host, () => process.stdout.write('ready\n'));

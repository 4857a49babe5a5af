import closeWithGrace from 'close-with-grace';
import { buildApp } from './app/app.ts';
import { ConfigError, loadConfig } from './config/config.ts';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await buildApp(config);
  closeWithGrace({ delay: config.core.shutdownGraceMs + 2000 }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'fatal error, shutting down');
    else app.log.info({ signal }, 'shutting down');
    await app.stop();
  });
  await app.start();
}

main().catch((err: unknown) => {
  // Typed errors (bad config, data dir in use, port taken) are the operator's to fix: the message
  // says what. Anything else is a bug: the stack helps.
  const typed = err instanceof ConfigError || typeof (err as { code?: unknown } | null)?.code === 'string';
  process.stderr.write(
    `brume-server: ${typed ? (err as Error).message : ((err as Error)?.stack ?? String(err))}\n`,
  );
  process.exit(1);
});

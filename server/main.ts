import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './app.js';

/** Starts the service: config, app, listen; stops gracefully on SIGTERM/SIGINT. */
async function main() {
  const config = loadConfig();
  const { http } = await buildApp(config);
  const url = await http.listen({ host: config.host, port: config.port });
  http.log.info({ url, database: config.database.kind }, `Carly serves on ${url} (Swagger UI at ${url}/api/ui/)`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    http.log.info({ signal }, 'stopping: no new connections, finishing requests in flight');
    const force = setTimeout(() => {
      http.log.error('requests still in flight after the shutdown timeout; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    // close() stops accepting, waits for in-flight requests, then its onClose hook closes the ORM.
    http.close().then(
      () => process.exit(0),
      (err: unknown) => {
        http.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  // Bad configuration (found by the config check or at start-up) exits 2 with the variable named.
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error('Carly failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});

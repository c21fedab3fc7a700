import net from 'node:net';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { startIdleTrim } from './ops/idle-trim.js';
import { ListenError, reservePort } from './ops/port-reservation.js';
import { isOpenToOthers, tightenPrivateDir } from './ops/private-files.js';

/** How long requests already on the wire get to be read after SIGTERM, before idle connections close. */
const GRACE_MS = 500;
/** How long connections already queued in the kernel get to be accepted after SIGTERM. */
const ACCEPT_DRAIN_MS = 100;

/**
 * Starts the service: config, port, app, listen; stops gracefully on SIGTERM/SIGINT.
 * Exit codes: 0 stopped on a signal with every request answered; 1 failed to start (port in
 * use, database unreachable, ...) or requests outlived SHUTDOWN_TIMEOUT_MS; 2 invalid configuration.
 */
async function main() {
  const config = loadConfig();
  // The port first: a port in use must stop the start before the database, the sample data, the
  // first admin or the secret are written.
  const reservation = await reservePort(config.host, config.port);
  // One made by an older version may be 0755; what is created in it from here on is 0600/0700.
  tightenPrivateDir(config.dataDir);
  // Built and started: every step of its lifecycle (database, workers, first admin, listener) is up.
  const { http } = await buildApp(config);
  await reservation.release();
  const url = await http.listen({ host: config.host, port: config.port });
  http.log.info({ url, database: config.database.kind }, `Carly serves on ${url} (Swagger UI at ${url}/api/ui/)`);
  if (isOpenToOthers(config.dataDir)) {
    http.log.warn({ dataDir: config.dataDir }, 'DATA_DIR is open to other users and is not ours to chmod: make it 0700 and owned by this user');
  }

  // An idle process gives back the young generation it grew while starting or under load.
  const stopIdleTrim = startIdleTrim();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stopIdleTrim();
    http.log.info({ signal }, 'stopping: no new connections, finishing requests in flight');
    const force = setTimeout(() => {
      http.log.error('requests still in flight after the shutdown timeout; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    // Stop accepting connections at once, but keep the open ones for a moment: Node's
    // http.Server.close() also drops connections whose request bytes have arrived but are not
    // parsed yet, and their clients would see a reset instead of an answer.
    // Connections the kernel accepted just before the signal are taken first (ACCEPT_DRAIN_MS).
    setTimeout(() => net.Server.prototype.close.call(http.server), ACCEPT_DRAIN_MS);
    // Then close() waits for in-flight requests, ends idle connections, and its onClose hook
    // stops the app's lifecycle, last step first (server/lifecycle.ts: workers, then the database).
    const closeFastify = () => http.close();
    new Promise((resolve) => setTimeout(resolve, ACCEPT_DRAIN_MS + GRACE_MS)).then(closeFastify).then(
      () => {
        // The last line of a clean stop: every request answered, the database closed.
        http.log.info({ signal }, 'stopped');
        process.exit(0);
      },
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
  // A port that cannot be listened on: the message names HOST/PORT; nothing was written.
  if (err instanceof ListenError) {
    console.error(`Carly failed to start: ${err.message}`);
    process.exit(1);
  }
  console.error('Carly failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createScratchPostgres } from '../../scripts/lib/scratch-postgres.js';
import { type ServerProcess, spawnServer, stopProcess } from './process.js';
import { TEST_ADMIN, tempDir } from './server.js';

export interface Cluster {
  /** The instances started so far, in start order. */
  instances: ServerProcess[];
  /** The throwaway database they share. */
  databaseUrl: string;
  /** Starts one more instance on the same database (with `env` over the cluster's). */
  start: (env?: Record<string, string>) => Promise<ServerProcess>;
  /** Stops every instance (SIGTERM, then SIGKILL), drops the database, removes the data dirs. */
  stop: () => Promise<void>;
}

export interface ClusterOptions {
  /** How many instances to start now (default 2). */
  count?: number;
  /** Start them at the same moment (default: one after the other). */
  together?: boolean;
  /** Variables over the defaults (shared JWT secret, bcrypt cost 4, the test admin). */
  env?: Record<string, string>;
}

/**
 * Server processes on one throwaway PostgreSQL database (TEST_DATABASE_URL), each with its own
 * data dir, sharing a JWT secret as instances behind one load balancer must. If any instance fails
 * to start, everything already started is stopped and dropped before the error is thrown; call
 * `stop()` in afterAll for the rest.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('startCluster needs TEST_DATABASE_URL (instances share a PostgreSQL database)');
  const scratch = await createScratchPostgres(adminUrl);
  const shared = {
    DATABASE_URL: scratch.url,
    JWT_SECRET: randomBytes(32).toString('hex'),
    BCRYPT_COST: '4',
    ADMIN_EMAIL: TEST_ADMIN.email,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    ...options.env,
  };
  const instances: ServerProcess[] = [];
  const dataDirs: string[] = [];
  const starting = new Set<Promise<ServerProcess>>();
  const start = (env: Record<string, string> = {}) => {
    const dataDir = tempDir('carly-cluster-');
    dataDirs.push(dataDir);
    const started = spawnServer({ ...shared, DATA_DIR: dataDir, ...env }, 60_000).then((p) => {
      instances.push(p);
      return p;
    });
    starting.add(started);
    void started.finally(() => starting.delete(started)).catch(() => {});
    return started;
  };
  const stop = async () => {
    // Let starts in flight settle first, so none is left running after the stop.
    await Promise.allSettled([...starting]);
    await Promise.all(instances.map((p) => stopProcess(p)));
    await scratch.drop();
    for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
  };
  try {
    const count = options.count ?? 2;
    if (options.together) {
      const results = await Promise.allSettled(Array.from({ length: count }, () => start()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } else {
      for (let i = 0; i < count; i++) await start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { instances, databaseUrl: scratch.url, start, stop };
}

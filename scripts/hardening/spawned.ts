/**
 * A Carly server process on a data dir that outlives it (crash test, soak): start, kill, restart.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ServerProcess, spawnServer } from '../../test/helpers/process.js';
import { createScratchPostgres } from '../lib/scratch-postgres.js';

export const HARDENING_ADMIN = { email: 'admin@hardening.local', password: 'admin-hardening-password-7Q' };

export interface Site {
  dataDir: string;
  env: Record<string, string>;
  dialect: 'sqlite' | 'postgresql';
  sqliteFile: string;
  cleanup: () => Promise<void>;
}

/** A temp data dir, and a scratch PostgreSQL database when DATABASE_URL names one. */
export async function makeSite(extra: Record<string, string> = {}): Promise<Site> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'carly-hardening-'));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    BCRYPT_COST: '4',
    ADMIN_EMAIL: HARDENING_ADMIN.email,
    ADMIN_PASSWORD: HARDENING_ADMIN.password,
    TRUST_PROXY: 'true',
    NODE_ENV: 'production',
    ...extra,
  };
  let drop: (() => Promise<void>) | undefined;
  const pgUrl = process.env.DATABASE_URL;
  if (pgUrl?.startsWith('postgres')) {
    const scratch = await createScratchPostgres(pgUrl);
    env.DATABASE_URL = scratch.url;
    drop = scratch.drop;
  } else {
    // Named explicitly: the parent's DATABASE_URL (if any) must not leak into the child.
    env.DATABASE_URL = `sqlite://${path.join(dataDir, 'carly.sqlite')}`;
  }
  return {
    dataDir,
    env,
    dialect: drop ? 'postgresql' : 'sqlite',
    sqliteFile: path.join(dataDir, 'carly.sqlite'),
    cleanup: async () => {
      await drop?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const start = (site: Site): Promise<ServerProcess> => spawnServer(site.env, 60_000);

export async function adminLogin(url: string): Promise<string> {
  const r = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.9.9.9' },
    body: JSON.stringify(HARDENING_ADMIN),
  });
  if (r.status !== 200) throw new Error(`admin login: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { tokens: { accessToken: string } }).tokens.accessToken;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensurePrivateDir, writePrivateFile } from './ops/private-files.js';

/**
 * The server's signing secret: `JWT_SECRET` when set, otherwise a random one generated on the
 * first start and kept in `DATA_DIR/jwt-secret` (mode 0600) so restarts keep sessions and cursors.
 * Several instances sharing one database must share `JWT_SECRET`.
 */
export function loadServerSecret(dataDir: string, fromEnv: string | undefined): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'utf8');
  const file = path.join(dataDir, 'jwt-secret');
  ensurePrivateDir(dataDir);
  try {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(48);
  try {
    // 'wx' fails if another process created it meanwhile; then read theirs.
    writePrivateFile(file, `${secret.toString('base64url')}\n`, 'wx');
    return secret;
  } catch {
    return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64url');
  }
}

/** A key for one purpose, derived from the server secret, so no two uses share a key. */
export const deriveKey = (secret: Buffer, purpose: string): Buffer => createHmac('sha256', secret).update(purpose).digest();

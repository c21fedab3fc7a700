import fs from 'node:fs';
import path from 'node:path';

/**
 * DATA_DIR holds the database (password and token hashes), the signing secret, the first admin's
 * password and reset mails: only the service's user may read them. Modes are set with chmod, not
 * left to open()/mkdir(), whose modes the process umask can only narrow, so the result never
 * depends on the umask.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * chmod, tolerating a path that does not exist and one owned by another user (EPERM: a volume
 * mounted for us by root, say); main.ts warns when DATA_DIR stays open to others.
 */
function chmodIfOwned(target: string | number, mode: number): void {
  try {
    if (typeof target === 'number') fs.fchmodSync(target, mode);
    else fs.chmodSync(target, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EPERM') throw err;
  }
}

/** Creates `dir` (and missing parents) and makes `dir` itself 0700, tightening an existing one. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodIfOwned(dir, PRIVATE_DIR_MODE);
}

/** Tightens `dir` to 0700 when it exists (one made by an older version may be 0755); creates nothing. */
export function tightenPrivateDir(dir: string): void {
  chmodIfOwned(dir, PRIVATE_DIR_MODE);
}

/** Whether others than the owner may enter `dir` (false when it does not exist). */
export function isOpenToOthers(dir: string): boolean {
  try {
    return (fs.statSync(dir).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** Writes a file readable and writable by this user only; `flag` 'wx' fails if it exists. */
export function writePrivateFile(file: string, data: string | Uint8Array, flag: 'w' | 'wx' = 'w'): void {
  const fd = fs.openSync(file, flag, PRIVATE_FILE_MODE);
  try {
    chmodIfOwned(fd, PRIVATE_FILE_MODE);
    fs.writeFileSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Before SQLite opens `file`: creates it empty (a valid empty database) as 0600 when missing, and
 * makes it and any journal beside it 0600 (a database made by an older version was 0644). SQLite
 * gives the -wal and -shm files it creates the main file's mode, so they follow. A missing folder
 * is created 0700; an existing one is left alone (DATABASE_URL=sqlite:///tmp/x.sqlite must not
 * chmod /tmp; DATA_DIR itself is tightened at start).
 */
export function preparePrivateSqliteFile(file: string): void {
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) ensurePrivateDir(dir);
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const suffix of ['', '-wal', '-shm', '-journal']) chmodIfOwned(file + suffix, PRIVATE_FILE_MODE);
}

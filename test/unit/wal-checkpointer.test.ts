/**
 * The WAL checkpointer (server/db/wal-checkpointer.ts) copies committed pages into the SQLite
 * database file on a thread of its own, so no commit on the event loop runs the checkpoint: the
 * rows reach the main file (read here from a copy of that file alone, without its -wal) while the
 * writing connection's automatic checkpoint is off. It holds no thread while nothing is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { WalCheckpointer } from '../../server/db/wal-checkpointer.js';
import { sleep, waitFor } from '../helpers/events.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carly-checkpointer-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The rows the database file holds on its own: a copy of it without the WAL. */
function rowsInMainFile(file: string): number {
  const copy = path.join(dir, `copy-${Date.now()}-${Math.random().toString(16).slice(2)}.sqlite`);
  fs.copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from t').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('the WAL checkpointer', () => {
  it('checkpoints committed pages into the file off the writing connection, and ends its thread when idle', async () => {
    const file = path.join(dir, 'data.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_autocheckpoint = 0');
    db.exec('create table t (id integer primary key, body text not null)');
    db.pragma('wal_checkpoint(TRUNCATE)');
    const insert = db.prepare('insert into t (body) values (?)');
    const write = (n: number) => {
      for (let i = 0; i < n; i++) db.transaction(() => insert.run('x'.repeat(500)))();
    };
    const checkpointer = new WalCheckpointer(file, { intervalMs: 20, idleMs: 300 });
    try {
      write(50);
      expect(rowsInMainFile(file)).toBe(0);
      expect(checkpointer.threads).toBe(0);

      checkpointer.start();
      await waitFor('the 50 rows in the database file', () => checkpointer.last?.busy === 0 && rowsInMainFile(file) === 50);
      expect(checkpointer.last?.checkpointed).toBe(checkpointer.last?.log);
      await waitFor('the idle thread ended', () => checkpointer.threads === 0);

      // A write after the reap starts the thread again.
      const before = checkpointer.checkpoints;
      write(30);
      await waitFor('the next 30 rows in the database file', () => checkpointer.checkpoints > before && rowsInMainFile(file) === 80);
    } finally {
      await checkpointer.stop();
      db.close();
    }
    expect(checkpointer.threads).toBe(0);
  });

  it('reports a thread that cannot open the file once, and starts no other one until idleMs passed', async () => {
    const file = path.join(dir, 'gone.sqlite');
    fs.writeFileSync(`${file}-wal`, ''); // a WAL whose database file is missing
    const errors: string[] = [];
    const checkpointer = new WalCheckpointer(file, { intervalMs: 10, idleMs: 60_000 }, (message) => errors.push(message));
    try {
      checkpointer.start();
      await waitFor('the error reported', () => errors.length > 0);
      fs.writeFileSync(`${file}-wal`, 'changed'); // the WAL changes again: still no new thread within idleMs
      await sleep(200);
      expect(errors).toHaveLength(1);
      expect(checkpointer.threads).toBe(0);
      expect(checkpointer.checkpoints).toBe(0);
    } finally {
      await checkpointer.stop();
    }
  });
});

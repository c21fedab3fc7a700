/**
 * The bcrypt worker pool (server/auth/hash-workers.ts) holds no thread until a job needs one,
 * never more than its size, and ends a worker that stayed idle: an idle server keeps no bcrypt
 * thread (docs/performance.md, "Idle memory"). Hashes made before and after a reap still verify.
 */
import { describe, expect, it } from 'vitest';
import { HashWorkers } from '../../server/auth/hash-workers.js';
import { waitFor } from '../helpers/events.js';

describe('the bcrypt worker pool', () => {
  it('starts workers on demand, up to its size, and ends them when idle', async () => {
    const pool = new HashWorkers(2, 19, 200);
    try {
      expect(pool.threads).toBe(0);
      const [a, b] = await Promise.all([pool.hash('correct horse battery', 4), pool.hash('staple gun 12345', 4)]);
      expect(pool.threads).toBe(2);
      await waitFor('both idle workers ended', () => pool.threads === 0);
      // A job after the reap starts a worker again, and what was hashed before still verifies.
      expect(await pool.compare('correct horse battery', a)).toBe(true);
      expect(pool.threads).toBe(1);
      expect(await pool.compare('not the password', b)).toBe(false);
      expect(pool.threads).toBe(1);
    } finally {
      await pool.close();
    }
    expect(pool.threads).toBe(0);
  });

  it('refuses a job beyond its size instead of starting another worker', async () => {
    const pool = new HashWorkers(1, 19, 60_000);
    try {
      const first = pool.hash('one password here', 4);
      await expect(pool.hash('another password', 4)).rejects.toThrow('no idle hash worker');
      expect(pool.threads).toBe(1);
      await first;
    } finally {
      await pool.close();
    }
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.js';
import { nodeArgs, ROOT, run } from './helpers/process.js';
import { tempDir } from './helpers/server.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8000, logLevel: 'info', bodyLimit: 1024 * 1024, corsOrigins: [], seedSampleData: true });
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.database).toEqual({ kind: 'sqlite', file: path.resolve('./data/carly.sqlite') });
    expect(c.publicUrl).toBe('http://127.0.0.1:8000');
    expect(c.httpTimeouts).toEqual({ connectionMs: 60_000, keepAliveMs: 5_000, requestMs: 30_000 });
    expect(loadConfig({ HTTP_CONNECTION_TIMEOUT_MS: '0', HTTP_REQUEST_TIMEOUT_MS: '2500' }).httpTimeouts).toEqual({
      connectionMs: 0,
      keepAliveMs: 5_000,
      requestMs: 2_500,
    });
  });

  it('selects PostgreSQL from DATABASE_URL and turns the sample data off in production', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@h:5432/db', NODE_ENV: 'production', CORS_ORIGINS: 'https://a.example, https://b.example' });
    expect(c.database).toEqual({ kind: 'postgresql', url: 'postgres://u@h:5432/db', poolMax: 10, statementTimeoutMs: 10_000 });
    expect(c.seedSampleData).toBe(false);
    const tuned = loadConfig({ DATABASE_URL: 'postgresql://u@h/db', DB_POOL_MAX: '25', DB_STATEMENT_TIMEOUT_MS: '0' });
    expect(tuned.database).toMatchObject({ kind: 'postgresql', poolMax: 25, statementTimeoutMs: 0 });
    expect(c.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(c.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', SEED_SAMPLE_DATA: 'true' }).seedSampleData).toBe(true);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'],
    ['BODY_LIMIT_BYTES', '12'],
    ['SEED_SAMPLE_DATA', 'maybe'],
    ['NODE_ENV', 'staging'],
    ['DB_POOL_MAX', '0'],
    ['DB_STATEMENT_TIMEOUT_MS', '-1'],
    // Shorter than the live streams' 10 s ping: a quiet stream would be cut.
    ['HTTP_CONNECTION_TIMEOUT_MS', '5000'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '0'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });

  it("echoes the value it refused, as typed (not the coerced NaN), and never a secret's value", () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow('PORT: must be a number (got "abc")');
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT: .*\(got "70000"\)/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL: .*\(got "loud"\)/);
    let message = '';
    try {
      loadConfig({ JWT_SECRET: 'short-secret-value', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/JWT_SECRET: must be at least 32 characters/);
    expect(message).toMatch(/DATABASE_URL: must start with/);
    expect(message).not.toContain('short-secret-value');
    expect(message).not.toContain('hunter2');
  });

  it('exits at start with code 2 and a message naming the variable', async () => {
    const r = await run(nodeArgs(path.join(ROOT, 'server/main.ts')), { PORT: 'not-a-port', DATA_DIR: tempDir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PORT');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

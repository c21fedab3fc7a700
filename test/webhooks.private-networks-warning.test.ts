/**
 * WEBHOOK_ALLOW_PRIVATE_NETWORKS=true turns the SSRF guard off; a real start says so in a warn
 * line, so the setting cannot reach production unnoticed. Without it, no such line.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { createScratchPostgres } from '../scripts/lib/scratch-postgres.js';
import { spawnServer } from './helpers/process.js';
import { tempDir, usingPostgres } from './helpers/server.js';

async function startWith(allow: string): Promise<string> {
  let databaseUrl = '';
  if (usingPostgres()) {
    const scratch = await createScratchPostgres(process.env.TEST_DATABASE_URL!);
    onTestFinished(() => scratch.drop());
    databaseUrl = scratch.url;
  }
  const server = await spawnServer({ DATA_DIR: tempDir(), DATABASE_URL: databaseUrl, BCRYPT_COST: '4', WEBHOOK_ALLOW_PRIVATE_NETWORKS: allow });
  onTestFinished(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });
  return server.output();
}

const warnLines = (output: string) =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; setting?: string })
    .filter((entry) => entry.setting === 'WEBHOOK_ALLOW_PRIVATE_NETWORKS');

describe('the start with WEBHOOK_ALLOW_PRIVATE_NETWORKS', () => {
  it('=true logs one warn line naming the setting and that the SSRF guard is off', async () => {
    const lines = warnLines(await startWith('true'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.level).toBe(40); // pino's warn
    expect(lines[0]!.msg).toMatch(/WEBHOOK_ALLOW_PRIVATE_NETWORKS=true turns the SSRF guard off/);
  });

  it('=false (the default) logs no such line', async () => {
    expect(warnLines(await startWith('false'))).toEqual([]);
  });
});

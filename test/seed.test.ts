import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { CustomerEntity } from '../server/db/customer.entity.js';
import { SAMPLE_FILE, seedSampleData } from '../server/seed.js';
import { startServer, type TestServer, tempDir } from './helpers/server.js';

/** A Fastify logger whose JSON lines are kept, to read what seeding said. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: Fastify({ logger: { level: 'info', stream } }).log, lines };
}

const sampleRows = () => JSON.parse(fs.readFileSync(SAMPLE_FILE, 'utf8')) as { email: string }[];

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('sample data', () => {
  it('the first start loads every row of the shipped sample', async () => {
    server = await startServer({ SEED_SAMPLE_DATA: 'true' });
    const rows = sampleRows();
    expect(rows).toHaveLength(25);
    const loaded = await server.app.orm.em.fork().find(CustomerEntity, {}, { fields: ['email'] });
    expect(loaded.map((c) => c.email).sort()).toEqual(rows.map((r) => r.email.toLowerCase()).sort());
  });

  it('names every refused row in the log: its index, its email and why', async () => {
    server = await startServer();
    const file = path.join(tempDir(), 'sample.json');
    fs.writeFileSync(
      file,
      JSON.stringify([
        { email: 'fine@example.com', firstName: 'Fine', lastName: 'Row' },
        { email: 'ken.angström@example.com', firstName: 'Ken', lastName: 'Ångström' },
        { email: 'no-name@example.com', firstName: '', lastName: 'Nameless' },
      ]),
    );
    const { log, lines } = capturingLogger();
    await seedSampleData(server.app.orm, log, file);

    const refused = lines.filter((l) => l.msg === 'sample customer refused');
    expect(refused.map(({ index, email }) => ({ index, email }))).toEqual([
      { index: 1, email: 'ken.angström@example.com' },
      { index: 2, email: 'no-name@example.com' },
    ]);
    expect(refused[0]!.reason).toMatch(/^email: /);
    expect(refused[1]!.reason).toMatch(/^firstName: /);
    expect(refused.every((l) => l.level === 40)).toBe(true);
    expect(lines.find((l) => l.msg === 'empty database: loaded the sample customers')).toMatchObject({ read: 3, rejected: 2 });
    const kept = await server.app.orm.em.fork().find(CustomerEntity, {}, { fields: ['email'] });
    expect(kept.map((c) => c.email)).toEqual(['fine@example.com']);
  });
});

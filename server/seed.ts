import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MikroORM } from '@mikro-orm/core';
import type { FastifyBaseLogger } from 'fastify';
import { CustomerEntity } from './db/customer.entity.js';
import { importCustomers } from './import/importer.js';

export const SAMPLE_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data-samples', 'customers.sample.json');

/**
 * On the very first start against an empty database, load the shipped sample export, as the
 * app Carly replaces did. Off with SEED_SAMPLE_DATA=false (and by default in production).
 */
export async function seedSampleData(orm: MikroORM, log: FastifyBaseLogger): Promise<void> {
  const count = await orm.em.fork().count(CustomerEntity, {});
  if (count > 0) return;
  const summary = await importCustomers(orm, fs.createReadStream(SAMPLE_FILE));
  log.info({ file: SAMPLE_FILE, ...summary }, 'empty database: loaded the sample customers');
}

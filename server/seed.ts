import fs from 'node:fs';
import path from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import type { FastifyBaseLogger } from 'fastify';
import { CustomerEntity } from './db/customer.entity.js';
import type { RejectedRow } from './import/importer.js';
import { runSystemImport } from './import/system-import.js';
import { REPO_ROOT } from './paths.js';

export const SAMPLE_FILE = path.join(REPO_ROOT, 'data-samples', 'customers.sample.json');

/**
 * On the very first start against an empty database, load the shipped sample export, as the
 * app Carly replaces did. Off with SEED_SAMPLE_DATA=false (and by default in production).
 */
export async function seedSampleData(orm: MikroORM, log: FastifyBaseLogger, file = SAMPLE_FILE): Promise<void> {
  const count = await orm.em.fork().count(CustomerEntity, {});
  if (count > 0) return;
  // A refused row is named with its reason, so a short count is never a mystery.
  const onRejected = ({ index, email, reason }: RejectedRow) => log.warn({ file, index, email, reason }, 'sample customer refused');
  const summary = await runSystemImport(orm, fs.createReadStream(file), { onRejected });
  log.info({ file, ...summary }, 'empty database: loaded the sample customers');
}

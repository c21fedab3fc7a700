/**
 * Walks the audit trail's hash chain and names the first entry that does not check out:
 *   npm run audit:verify
 * Uses the server's configuration (DATABASE_URL, or the SQLite file under DATA_DIR). Reads only.
 *
 * Exit codes: 0 the chain verified, 1 it is broken (the entry and the reason are printed),
 * 2 bad configuration or no database.
 */
import fs from 'node:fs';
import { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import { verifyAuditChain } from '../server/audit/audit-verify.js';
import { ConfigError, loadConfig } from '../server/config.js';
import { ormOptions } from '../server/db/orm.js';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`audit:verify: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (config.database.kind === 'sqlite' && !fs.existsSync(config.database.file)) {
    console.error(`audit:verify: no database at ${config.database.file} (set DATA_DIR or DATABASE_URL)`);
    return 2;
  }
  const orm = await MikroORM.init(await ormOptions(config.database));
  try {
    const result = await verifyAuditChain(orm.em.fork() as EntityManager);
    const pending = result.unchained ? `; ${result.unchained} newer entries are not chained yet (a running server chains them within seconds)` : '';
    if (!result.ok) {
      console.error(`audit:verify: BROKEN at entry ${result.entry} (chain seq ${result.chainSeq}, ${result.action}): ${result.reason}`);
      console.error(`audit:verify: the ${result.verified} entries before it verified${pending}`);
      return 1;
    }
    if (result.verified === 0) console.log(`audit:verify: no chained entries yet${pending}`);
    else console.log(`audit:verify: ${result.verified} entries verified (chain seq ${result.first}–${result.last}, head hash ${result.headHash})${pending}`);
    return 0;
  } finally {
    await orm.close(true);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('audit:verify failed:', err instanceof Error ? err.message : err);
    process.exit(2);
  },
);

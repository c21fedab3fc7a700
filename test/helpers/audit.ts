import type { EntityManager } from '@mikro-orm/knex';
import { expect } from 'vitest';
import { type VerifyResult, verifyAuditChain } from '../../server/audit/audit-verify.js';
import { sqlQuery } from './database.js';
import type { RestResponse, TestServer } from './server.js';

/** One audit_entries row as the database holds it, with `changes` parsed and `at` a Date. */
export interface AuditRow {
  id: string;
  action: string;
  actorType: string;
  actorId: string | null;
  actorEmail: string | null;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  changes: Record<string, [unknown, unknown]> | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  chainSeq: string | null;
  piiSalt: string | null;
  pseudonym: string | null;
  at: Date;
}

interface RawRow {
  id: string | number;
  action: string;
  actor_type: string;
  actor_id: string | null;
  actor_email: string | null;
  target_type: string | null;
  target_id: string | null;
  outcome: string;
  changes: string | Record<string, [unknown, unknown]> | null;
  request_id: string | null;
  ip: string | null;
  user_agent: string | null;
  chain_seq: string | number | null;
  pii_salt: string | null;
  pseudonym: string | null;
  at: string | number | Date;
}

/** Audit rows straight from the database (`where` in SQL, `$1`-style parameters), oldest first. */
export async function auditRows(server: TestServer, where = '1 = 1', params: unknown[] = []): Promise<AuditRow[]> {
  const rows = await sqlQuery<RawRow>(server.app.config.database, `select * from audit_entries where ${where} order by id`, params);
  return rows.map((r) => ({
    id: String(r.id),
    action: r.action,
    actorType: r.actor_type,
    actorId: r.actor_id,
    actorEmail: r.actor_email,
    targetType: r.target_type,
    targetId: r.target_id,
    outcome: r.outcome,
    changes: typeof r.changes === 'string' ? JSON.parse(r.changes) : r.changes,
    requestId: r.request_id,
    ip: r.ip,
    userAgent: r.user_agent,
    chainSeq: r.chain_seq === null ? null : String(r.chain_seq),
    piiSalt: r.pii_salt,
    pseudonym: r.pseudonym,
    at: new Date(r.at),
  }));
}

/** The entries written by the request that gave `response`, found by its x-request-id. */
export async function entriesOf(server: TestServer, response: RestResponse): Promise<AuditRow[]> {
  const requestId = response.headers.get('x-request-id');
  expect(requestId).toBeTruthy();
  return auditRows(server, 'request_id = $1', [requestId]);
}

/** The one entry the request wrote (fails unless there is exactly one). */
export async function onlyEntryOf(server: TestServer, response: RestResponse): Promise<AuditRow> {
  const entries = await entriesOf(server, response);
  expect(entries.map((e) => e.action)).toHaveLength(1);
  return entries[0]!;
}

/**
 * The one entry written for a request whose work continues after its answer (a reset request:
 * the lookup, token and mail run in the background so both answers take the same time).
 */
export async function eventualEntryOf(server: TestServer, response: RestResponse, timeoutMs = 5_000): Promise<AuditRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entries = await entriesOf(server, response);
    if (entries.length > 0 || Date.now() > deadline) {
      expect(entries.map((e) => e.action)).toHaveLength(1);
      return entries[0]!;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until the chainer has chained every committed entry. */
export async function waitForChain(server: TestServer, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await sqlQuery<{ n: string | number }>(server.app.config.database, 'select count(*) as n from audit_entries where chain_seq is null');
    if (Number(row!.n) === 0) return;
    if (Date.now() > deadline) throw new Error(`${row!.n} audit entries still unchained after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const verifyChain = (server: TestServer): Promise<VerifyResult> => verifyAuditChain(server.app.orm.em.fork() as EntityManager);

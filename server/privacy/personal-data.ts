import type { EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { CarlyEvent } from '../../client-sdk/src/schemas/events.js';
import type { PersonalDataExport } from '../../client-sdk/src/schemas/privacy.js';
import { toAuditEntry } from '../audit/audit-entry.mapper.js';
import { type PersonalFields, personalDigest } from '../audit/chain-hash.js';
import { EDITABLE_FIELDS, toCustomer } from '../customers/customer.mapper.js';
import { ApiKeyEntity } from '../db/api-key.entity.js';
import { type AuditDetails, AuditEntryEntity } from '../db/audit-entry.entity.js';
import { CustomerEntity } from '../db/customer.entity.js';
import { isPostgres } from '../db/dialect.js';
import { EmailVerificationTokenEntity } from '../db/email-verification-token.entity.js';
import { EventEntity } from '../db/event.entity.js';
import { IdempotencyRecordEntity } from '../db/idempotency-record.entity.js';
import { ResetTokenEntity } from '../db/reset-token.entity.js';
import { SearchWordEntity } from '../db/search-word.entity.js';
import { SessionEntity } from '../db/session.entity.js';
import { ThrottleEventEntity } from '../db/throttle-event.entity.js';
import { UserEntity } from '../db/user.entity.js';
import { WebhookEntity } from '../db/webhook.entity.js';
import { WebhookAttemptEntity } from '../db/webhook-attempt.entity.js';
import { WebhookDeliveryEntity } from '../db/webhook-delivery.entity.js';
import { WebhookFanoutEntity } from '../db/webhook-fanout.entity.js';
import { toEvent } from '../events/event-log.js';
import { unindexCustomer } from '../search/search-writes.js';
import type { Pseudonym } from './pseudonym.js';

/**
 * THE list of every table that holds personal data, and for each: how to find one person's rows,
 * how to export them (GDPR art. 15) and how to erase them (art. 17). Export and erase are built
 * from this list only, and test/personal-data-registry.test.ts fails on any table of the ORM's
 * metadata that is neither here nor in NO_PERSONAL_DATA with a reason: a new table cannot be
 * forgotten silently.
 */

/** Whose data: the customer record with that email, and the accounts that belong to it. */
export interface Subject {
  email: string;
  customer: CustomerEntity;
  /**
   * The customer account linked to the record, or a customer account with its email (a claim not
   * yet verified). Never an admin account: an admin's sessions and audit trail are not reachable
   * through the customer operations (docs/security.md, "Admin accounts and customer records").
   */
  accounts: UserEntity[];
  /** Admin accounts linked to the record (promoted from a customer): erase and delete refuse these. */
  adminAccounts: string[];
}

export const accountIds = (s: Subject) => s.accounts.map((a) => a.id);

type Section = Exclude<keyof PersonalDataExport, 'exportedAt' | 'subject'>;

export interface PersonalDataTable<S extends Section = Section> {
  entity: EntityName<object>;
  /** What personal data the table holds, and how the person's rows are found (for the docs). */
  holds: string;
  /** The section of the export its rows go to. */
  section: S;
  export(em: EntityManager, subject: Subject): Promise<PersonalDataExport[S]>;
  /** `delete`: the rows go; `pseudonymise`: kept (with a reason in the docs), the person's data replaced. */
  erasure: 'delete' | 'pseudonymise';
  /**
   * Erases the person's rows inside the erasure's transaction; answers how many rows it touched.
   * The audit trail's entry also fills `rewrite` (what the erasure's own audit entry commits to).
   */
  erase(em: EntityManager, subject: Subject, pseudonym: Pseudonym, rewrite: AuditRewrite): Promise<number>;
}

/** Keeps each entry's section and export types tied together while listing them in one array. */
const table = <S extends Section>(t: PersonalDataTable<S>): PersonalDataTable => t as unknown as PersonalDataTable;

/** SQL: does text column `column` contain `?` (one parameter)? */
const contains = (em: EntityManager, column: string) => (isPostgres(em) ? `strpos(${column}::text, ?) > 0` : `instr(${column}, ?) > 0`);
const placeholders = (values: readonly unknown[]) => values.map(() => '?').join(', ');

/** Throttle keys counted against an email (`login:account:<email>`, `reset:account:<email>`, ...). */
const throttleKeysOf = async (em: EntityManager, email: string): Promise<ThrottleEventEntity[]> => {
  const suffix = `:account:${email}`;
  const length = [...suffix].length;
  const where = isPostgres(em) ? `right(key, ${length}) = ?` : `substr(key, -${length}) = ?`;
  const rows = await em.execute<{ id: number }[]>(`select id from throttle_events where ${where}`, [suffix]);
  return rows.length ? em.find(ThrottleEventEntity, { id: { $in: rows.map((r) => r.id) } }, { orderBy: { at: 'asc', id: 'asc' } }) : [];
};

const scopesOf = (s: Subject) => s.accounts.map((a) => `user:${a.id}`);

/** An audit entry as the export and the erasure read it. */
interface AuditRow {
  id: string | number;
  actor_id: string | null;
  actor_email: string | null;
  target_type: string | null;
  target_id: string | null;
  changes: string | Record<string, [unknown, unknown]> | null;
  details: string | AuditDetails | null;
  ip: string | null;
  user_agent: string | null;
  pii_salt: string | null;
  pseudonym: string | null;
}

/**
 * The person's audit entries, found by identity: entries their account acted in (`actor_id`),
 * entries about their account or customer record (`target_id`), and failed sign-ins or reset
 * requests on their email made while no account had it (`target_type = 'email'`). With
 * `mentions` (erasure), also entries that hold their email in `changes` (an earlier email of a
 * record). Never by the actor's email text, and never an entry by or about an admin account
 * through the email: a record created with an admin's email does not reach the admin's trail.
 */
async function auditRowsOf(em: EntityManager, s: Subject, mentions: boolean): Promise<AuditRow[]> {
  const ids = accountIds(s);
  const targets = [...ids, s.customer.publicId];
  const admins = (await em.execute<{ id: string }[]>("select id from users where role = 'admin'")).map((r) => r.id);
  const notAdmin = admins.length
    ? ` and (actor_id is null or actor_id not in (${placeholders(admins)})) and (target_id is null or target_id not in (${placeholders(admins)}))`
    : '';
  const byEmail = `((target_type = 'email' and target_id = ?)${mentions ? ` or ${contains(em, 'changes')}` : ''})`;
  // A bulk act's details (an export's `query`) naming the email, in any case, whoever acted: only
  // those details are rewritten in an admin's or a key's entry (see pseudonymiseAuditEntries).
  const inDetails = mentions ? ` or ${isPostgres(em) ? 'strpos(lower(details::text), ?) > 0' : 'instr(lower(details), ?) > 0'}` : '';
  return em.execute<AuditRow[]>(
    'select id, actor_id, actor_email, target_type, target_id, changes, details, ip, user_agent, pii_salt, pseudonym from audit_entries where ' +
      `${ids.length ? `actor_id in (${placeholders(ids)}) or ` : ''}target_id in (${placeholders(targets)}) or (${byEmail}${notAdmin})${inDetails} order by id`,
    [...ids, ...targets, s.email, ...(mentions ? [s.email] : []), ...admins, ...admins, ...(mentions ? [s.email.toLowerCase()] : [])],
  );
}

const EVENT_COLUMNS = 'id, xid, type, occurred_at, customer_id, customer_email, customer_version, changed, actor_type, actor_id, request_id, data';

export const PERSONAL_DATA: readonly PersonalDataTable[] = [
  table({
    entity: SessionEntity,
    holds: 'Sign-in sessions: IP address and user agent of each login. Found by account.',
    section: 'sessions',
    async export(em, s) {
      const rows = s.accounts.length ? await em.find(SessionEntity, { user: { $in: accountIds(s) } }, { orderBy: { createdAt: 'asc', id: 'asc' } }) : [];
      return rows.map((r) => ({
        id: r.id,
        createdAt: r.createdAt,
        lastUsedAt: r.lastUsedAt,
        expiresAt: r.expiresAt,
        revokedAt: r.revokedAt,
        ip: r.ip,
        userAgent: r.userAgent,
      }));
    },
    erasure: 'delete',
    erase: async (em, s) => (s.accounts.length ? em.nativeDelete(SessionEntity, { user: { $in: accountIds(s) } }) : 0),
  }),
  table({
    entity: ResetTokenEntity,
    holds: 'Password-reset tokens (only their hashes) and when they were mailed and used. Found by account.',
    section: 'passwordResets',
    async export(em, s) {
      const rows = s.accounts.length ? await em.find(ResetTokenEntity, { user: { $in: accountIds(s) } }, { orderBy: { createdAt: 'asc', id: 'asc' } }) : [];
      return rows.map((r) => ({ createdAt: r.createdAt, expiresAt: r.expiresAt, usedAt: r.usedAt }));
    },
    erasure: 'delete',
    erase: async (em, s) => (s.accounts.length ? em.nativeDelete(ResetTokenEntity, { user: { $in: accountIds(s) } }) : 0),
  }),
  table({
    entity: EmailVerificationTokenEntity,
    holds: 'Email-verification tokens for claiming a record (only their hashes) and when they were mailed and used. Found by account.',
    section: 'emailVerifications',
    async export(em, s) {
      const rows = s.accounts.length
        ? await em.find(EmailVerificationTokenEntity, { user: { $in: accountIds(s) } }, { orderBy: { createdAt: 'asc', id: 'asc' } })
        : [];
      return rows.map((r) => ({ createdAt: r.createdAt, expiresAt: r.expiresAt, usedAt: r.usedAt }));
    },
    erasure: 'delete',
    erase: async (em, s) => (s.accounts.length ? em.nativeDelete(EmailVerificationTokenEntity, { user: { $in: accountIds(s) } }) : 0),
  }),
  table({
    entity: ThrottleEventEntity,
    holds: 'Rate-limit counts keyed by email (`login:account:<email>`: failed logins; `reset:account:<email>`: reset requests). Found by the key.',
    section: 'throttleRecords',
    async export(em, s) {
      return (await throttleKeysOf(em, s.email)).map((r) => ({ kind: r.key.split(':')[0]!, at: r.at }));
    },
    erasure: 'delete',
    async erase(em, s) {
      const rows = await throttleKeysOf(em, s.email);
      return rows.length ? em.nativeDelete(ThrottleEventEntity, { id: { $in: rows.map((r) => r.id) } }) : 0;
    },
  }),
  table({
    entity: IdempotencyRecordEntity,
    holds:
      "Stored answers of Idempotency-Keys (24 hours), which repeat the customer's data. Found by the account's key scope (`user:<id>`), " +
      "and in other callers' scopes by the email or customer id in the stored answer.",
    section: 'idempotencyRecords',
    async export(em, s) {
      const rows = s.accounts.length
        ? await em.find(IdempotencyRecordEntity, { scope: { $in: scopesOf(s) } }, { orderBy: { createdAt: 'asc', id: 'asc' } })
        : [];
      return rows.map((r) => ({ operation: r.operation, createdAt: r.createdAt, expiresAt: r.expiresAt }));
    },
    erasure: 'delete',
    async erase(em, s) {
      const scopes = scopesOf(s);
      const own = scopes.length ? await em.nativeDelete(IdempotencyRecordEntity, { scope: { $in: scopes } }) : 0;
      // Another caller's stored answer about this person (an admin's PATCH) keeps its key spent,
      // but a retry now gets 404 instead of the person's data.
      const others = await em.execute<{ id: number }[]>(
        `select id from idempotency_records where (${contains(em, 'response_body')} or ${contains(em, 'response_body')})` +
          (scopes.length ? ` and scope not in (${placeholders(scopes)})` : ''),
        [s.email, s.customer.publicId, ...scopes],
      );
      const body = JSON.stringify({ code: 'NOT_FOUND', message: 'The customer this answer was about has been erased' });
      const rewritten = others.length
        ? await em.nativeUpdate(IdempotencyRecordEntity, { id: { $in: others.map((r) => r.id) } }, { state: 'done', responseStatus: 404, responseBody: body })
        : 0;
      return own + rewritten;
    },
  }),
  table({
    entity: UserEntity,
    holds: 'The sign-in account: email, password hash, role. Found by the customer record it is linked to, or its email.',
    section: 'account',
    async export(_em, s) {
      const a = s.accounts[0];
      return a ? { id: a.id, email: a.email, role: a.role, createdAt: a.createdAt, passwordChangedAt: a.passwordChangedAt } : null;
    },
    erasure: 'delete',
    erase: async (em, s) => (s.accounts.length ? em.nativeDelete(UserEntity, { id: { $in: accountIds(s) } }) : 0),
  }),
  table({
    entity: CustomerEntity,
    holds: 'The customer record: email, names, phone, company, address, metadata. Found by email.',
    section: 'customer',
    export: async (_em, s) => toCustomer(s.customer),
    erasure: 'delete',
    erase: async (em, s) => {
      const deleted = await em.nativeDelete(CustomerEntity, { id: s.customer.id });
      // The search index follows the row (FTS5 triggers / GIN); the typo dictionary is told.
      await unindexCustomer(em, s.customer.searchWords);
      return deleted;
    },
  }),
  table({
    entity: EventEntity,
    holds: "Change events (30 days): the customer's id and email. Found by customer id, or the email.",
    section: 'events',
    async export(em, s): Promise<CarlyEvent[]> {
      const rows = await em.execute<Parameters<typeof toEvent>[0][]>(
        `select ${EVENT_COLUMNS} from events where customer_id = ? or customer_email = ? order by id`,
        [s.customer.publicId, s.email],
      );
      return rows.map(toEvent);
    },
    // Kept so event readers and webhook receivers still see a consistent history; the email goes.
    erasure: 'pseudonymise',
    erase: (em, s, p) => em.nativeUpdate(EventEntity, { $or: [{ customerId: s.customer.publicId }, { customerEmail: s.email }] }, { customerEmail: p.email }),
  }),
  table({
    entity: AuditEntryEntity,
    holds:
      "The audit trail (AUDIT_RETENTION_DAYS): the actor's email, IP and user agent, the target, and before/after values of the customer's fields. " +
      'Found by identity: account id (actor or target), customer id (target); by the email only as the target of a failed sign-in or reset request ' +
      'made while no account had it, and (erasure) in the changes. Never through an admin account.',
    section: 'auditEntries',
    async export(em, s) {
      const ids = accountIds(s);
      const found = (await auditRowsOf(em, s, false)).map((r) => String(r.id));
      const rows = found.length ? await em.find(AuditEntryEntity, { id: { $in: found } }, { orderBy: { id: 'asc' } }) : [];
      return rows.map((row) => {
        const entry = toAuditEntry(row);
        // Another person who acted on this one (an admin) is not theirs to see (GDPR art. 15(4)):
        // the copy says a person did it, not who, from where or with what.
        const someoneElse = entry.actor.type === 'user' && !(entry.actor.id !== null && ids.includes(entry.actor.id));
        return someoneElse ? { ...entry, actor: { type: 'user' as const, id: null, email: null }, ip: null, userAgent: null } : entry;
      });
    },
    // Kept (who did what stays provable: GDPR art. 17(3)(b), (e)); the person's data is replaced.
    erasure: 'pseudonymise',
    erase: pseudonymiseAuditEntries,
  }),
];

/** Tables that hold no personal data, each with the reason (checked by the same test). */
export const NO_PERSONAL_DATA: readonly { entity: EntityName<object>; reason: string }[] = [
  {
    entity: ApiKeyEntity,
    reason: "Machine credentials: a name, scopes, a secret's hash and the id of the admin account that made it; never a customer's data.",
  },
  {
    entity: WebhookEntity,
    reason: "An operator's endpoint: URL, event types, description, encrypted signing secrets; never a customer's data.",
  },
  {
    entity: WebhookDeliveryEntity,
    reason:
      'Which event goes to which webhook, and its state. The body is read from the events table when sent (pseudonymised there by an erasure); ' +
      'only a test message carries its own body, which holds no customer data.',
  },
  {
    entity: WebhookAttemptEntity,
    reason:
      "Each attempt's status, timing, error text and the receiver's answer (diagnostic headers, the first 4 KiB of its body): the operator's " +
      'own endpoint talking, not a customer record. A receiver that echoes what it was sent would put event data there; like every attempt it ' +
      'is deleted with its delivery after 30 days, and never exported or logged.',
  },
  {
    entity: WebhookFanoutEntity,
    reason: 'One row: how far the webhook fan-out has read the event log.',
  },
  {
    entity: SearchWordEntity,
    reason:
      "The typo dictionary: distinct folded words of customers' names, emails and companies, linked to no one. Deleting or erasing " +
      'a customer removes each of its words no other customer has (the customers entry above), so no erased person is left in it.',
  },
];

const EDITABLE = new Set<string>(EDITABLE_FIELDS);

/** What an erasure did to the audit trail: each entry it rewrote, with the digest of what it wrote there. */
export interface AuditRewrite {
  /** `[entry id, personalDigest(pseudonym token, the entry's personal fields after the erasure)]`, by id. */
  entries: [string, string][];
}

/**
 * Replaces the person's data in the audit entries that hold it, keeping each entry's shape, and
 * drops each entry's salt (the chain still verifies: see audit/chain-hash.ts):
 * - entries their account acted in: actor email, IP and user agent;
 * - entries about their record or account: the customer fields' before/after values (email,
 *   names, phone, company, address, metadata), and IP and user agent when nobody was signed in
 *   (a failed login on their email was probably theirs);
 * - a target that is their email (a failed login before the account existed);
 * - their email anywhere else in the changes, and in a bulk act's details (an export's `query`,
 *   matched in any case), whoever acted; in an entry found only that way nothing else changes.
 * Records, for the erasure's own entry, which entries it rewrote and what it wrote (`AuditRewrite`):
 * audit:verify accepts an unsalted entry only when exactly that is in it.
 */
async function pseudonymiseAuditEntries(em: EntityManager, s: Subject, p: Pseudonym, rewrite: AuditRewrite): Promise<number> {
  const ids = accountIds(s);
  const targets = [...ids, s.customer.publicId, s.email];
  const rows = await auditRowsOf(em, s, true);
  for (const row of rows) {
    const byPerson = row.actor_id !== null && ids.includes(row.actor_id);
    const aboutPerson = row.target_id !== null && targets.includes(row.target_id);
    const changes = typeof row.changes === 'string' ? (JSON.parse(row.changes) as Record<string, [unknown, unknown]>) : row.changes;
    let pseudonymised: Record<string, [unknown, unknown]> | null = null;
    if (changes) {
      pseudonymised = {};
      for (const [field, pair] of Object.entries(changes)) {
        pseudonymised[field] = (aboutPerson && EDITABLE.has(field) ? p.replaceAll(pair) : p.replaceEmail(pair, s.email)) as [unknown, unknown];
      }
    }
    const hideOrigin = byPerson || (aboutPerson && row.actor_id === null);
    const details = typeof row.details === 'string' ? (JSON.parse(row.details) as AuditDetails) : row.details;
    const personal: PersonalFields = {
      actorEmail: row.actor_email !== null && byPerson ? p.email : row.actor_email,
      targetId: row.target_id === s.email ? p.email : row.target_id,
      changes: pseudonymised,
      ip: hideOrigin && row.ip !== null ? p.text : row.ip,
      userAgent: hideOrigin && row.user_agent !== null ? p.text : row.user_agent,
      // In the digest like the fields above (chain-hash.ts), so audit:verify holds it to the erasure's entry too.
      details: details === null ? null : (p.replaceEmail(details, s.email, { ignoreCase: true }) as AuditDetails),
    };
    await em.nativeUpdate(
      AuditEntryEntity,
      { id: String(row.id) },
      { ...personal, details: personal.details as AuditDetails | null, piiSalt: null, pseudonym: p.token },
    );
    rewrite.entries.push([String(row.id), personalDigest(p.token, personal)]);
  }
  return rows.length;
}

/** The table an entity of the registry is stored in. */
export const tableOf = (em: EntityManager, entity: EntityName<object>): string =>
  em.getMetadata().get(typeof entity === 'string' ? entity : (entity as { name: string }).name).tableName;

/** The person with this email, or null when no customer record has it. */
export async function findSubject(em: EntityManager, email: string): Promise<Subject | null> {
  const customer = await em.findOne(CustomerEntity, { email });
  if (!customer) return null;
  const found = await em.find(UserEntity, { $or: [{ customer: customer.id }, { email, role: 'customer' }] }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  const accounts = found.filter((a) => a.role !== 'admin');
  return { email, customer, accounts, adminAccounts: found.filter((a) => a.role === 'admin').map((a) => a.id) };
}

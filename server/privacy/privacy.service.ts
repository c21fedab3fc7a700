import type { Erased, PersonalDataExport } from '../../client-sdk/src/schemas/privacy.js';
import type { Clock } from '../clock.js';
import { adminRecordRefused } from '../customers/admin-record.js';
import type { WriteTransactions } from '../db/write-transaction.js';
import { notFound } from '../errors.js';
import { type AuditRewrite, accountIds, findSubject, PERSONAL_DATA, type Subject, tableOf } from './personal-data.js';
import { Pseudonym } from './pseudonym.js';

export const PRIVACY_ACTIONS = { exported: 'customer.exported', erased: 'customer.erased' } as const;

// The message never names the email: a stored 404 answer (Idempotency-Key) would keep a copy of it.
const noSuchCustomer = () => notFound('No customer with this email (it may have been erased)');

export interface PrivacyDeps {
  clock: Clock;
  /** Told which accounts an erasure removed, once it committed, so their cached sessions end at once. */
  onAccountsRemoved: (userIds: string[]) => void;
  /**
   * Runs after an erasure committed (SQLite: checkpoint and truncate the WAL, see sqlite-scrub.ts);
   * false when that could not finish yet and continues in the background.
   */
  afterErase: () => Promise<boolean>;
}

/** A person's rights of access and erasure (GDPR art. 15, 17), over the registry in personal-data.ts. */
export class PrivacyService {
  constructor(
    private readonly writes: WriteTransactions,
    private readonly deps: PrivacyDeps,
  ) {}

  /** Everything held about the person, read in one transaction with the audit entry that records the export. */
  async export(email: string): Promise<PersonalDataExport> {
    return this.writes.run(async (tx, log) => {
      const subject = await findSubject(tx, email);
      if (!subject) throw noSuchCustomer();
      const sections: Record<string, unknown> = {};
      for (const t of PERSONAL_DATA) sections[t.section] = await t.export(tx, subject);
      log.audit({ action: PRIVACY_ACTIONS.exported, target: { type: 'customer', id: subject.customer.publicId } });
      return {
        exportedAt: this.deps.clock.now(),
        subject: { email: subject.email, customerId: subject.customer.publicId },
        ...sections,
      } as PersonalDataExport;
    });
  }

  /**
   * In ONE transaction: every table of the registry deletes the person's rows or pseudonymises
   * them, a `customer.erased` event (id only) tells event readers and webhooks, and an audit entry
   * records the erasure with the pseudonym (so audit:verify can tell an erasure from tampering).
   * Then the person's cached sessions end and, on SQLite, the WAL is checkpointed.
   */
  async erase(email: string): Promise<Erased> {
    let removed: string[] = [];
    const answer = await this.writes.run(async (tx, log) => {
      const subject = await findSubject(tx, email);
      if (!subject) throw noSuchCustomer();
      if (subject.adminAccounts.length) throw adminRecordRefused();
      removed = accountIds(subject);
      const pseudonym = new Pseudonym();
      const rows: Record<string, number> = {};
      const rewrite: AuditRewrite = { entries: [] };
      for (const t of PERSONAL_DATA) rows[tableOf(tx, t.entity)] = await t.erase(tx, subject, pseudonym, rewrite);
      const customerId = subject.customer.publicId;
      log.event({ type: 'customer.erased', customer: { id: customerId, email: null, version: null }, changed: [] });
      log.audit({
        action: PRIVACY_ACTIONS.erased,
        target: { type: 'customer', id: customerId },
        // `rewrote`: the entries it pseudonymised, each with the digest of what it wrote there. This
        // entry is salted and chained, so audit:verify can hold every unsalted entry to it.
        changes: { pseudonym: [null, pseudonym.token], rows: [null, rows], rewrote: [null, rewrite.entries] },
        // A person erasing themselves: their entry keeps no more of them than the others do.
        personal: this.actsAsSubject(subject)
          ? { actorEmail: pseudonym.email, ip: pseudonym.text, userAgent: pseudonym.text, pseudonym: pseudonym.token }
          : undefined,
      });
      return { erased: true as const };
    });
    this.deps.onAccountsRemoved(removed);
    return { ...answer, scrubPending: !(await this.deps.afterErase()) };
  }

  private actsAsSubject(subject: Subject): boolean {
    const actor = this.writes.requestIdentity.actor;
    return actor?.type === 'user' && accountIds(subject).includes(actor.id);
  }
}

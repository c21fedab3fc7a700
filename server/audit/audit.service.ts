import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/knex';
import type { ActivityQuery, AuditListQuery, AuditPage } from '../../client-sdk/src/schemas/audit.js';
import type { AuthUser } from '../auth/auth-user.js';
import { AuditEntryEntity } from '../db/audit-entry.entity.js';
import type { WriteTransactions } from '../db/write-transaction.js';
import { rowIdOfAuditEntry, toAuditEntry } from './audit-entry.mapper.js';

/** Reads of the audit trail (it is only ever appended to by WriteTransactions). */
export class AuditService {
  constructor(private readonly writes: WriteTransactions) {}

  private get em(): EntityManager {
    return this.writes.entityManager;
  }

  /** `audit.list`: newest first, filtered. */
  list(query: AuditListQuery): Promise<AuditPage> {
    const and: FilterQuery<AuditEntryEntity>[] = [];
    if (query.actor) and.push(query.actor.includes('@') ? { actorEmail: query.actor.toLowerCase() } : { actorId: query.actor });
    if (query.target) and.push({ targetId: query.target });
    if (query.action) {
      // The schema allows letters, digits and dots only, so a prefix needs no LIKE escaping.
      and.push({ action: query.action.endsWith('*') ? { $like: `${query.action.slice(0, -1)}%` } : query.action });
    }
    if (query.since) and.push({ at: { $gte: query.since } });
    if (query.until) and.push({ at: { $lt: query.until } });
    return this.page(and, query.cursor, query.limit);
  }

  /**
   * `auth.activity`: a person's own security history: the `auth.*` entries where they acted or
   * their account was the target (failed logins on their email, sessions, password changes).
   */
  activity(me: AuthUser, query: ActivityQuery): Promise<AuditPage> {
    const mine: FilterQuery<AuditEntryEntity> = {
      $or: [
        { actorId: me.id, actorType: 'user' },
        { targetType: 'user', targetId: me.id },
      ],
      action: { $like: 'auth.%' },
    };
    return this.page([mine], query.cursor, query.limit);
  }

  private async page(and: FilterQuery<AuditEntryEntity>[], cursor: string | undefined, limit: number): Promise<AuditPage> {
    if (cursor) and.push({ id: { $lt: rowIdOfAuditEntry(cursor) } });
    const rows = await this.em.find(AuditEntryEntity, and.length ? { $and: and } : {}, { orderBy: { id: 'desc' }, limit: limit + 1 });
    const items = rows.slice(0, limit).map(toAuditEntry);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }
}

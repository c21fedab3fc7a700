import type { Role } from '../../client-sdk/src/schemas/auth.js';
import { mapRead, type PreparedRead, type ReadLane } from '../db/read-lane.js';

export interface LiveSessionRow {
  email: string;
  role: Role;
  /** Whether the account is linked to a customer record (a claim not yet verified is not). */
  hasCustomer: boolean;
  lastUsedAt: Date;
}

/** The auth feature's statement on the read lane (tracing names its spans after the text). */
export const SESSION_READS = {
  live: {
    sqlite:
      'select u.email, u.role, u.customer_id is not null as has_customer, s.last_used_at from sessions s join users u on u.id = s.user_id ' +
      'where s.id = ? and s.user_id = ? and s.revoked_at is null and s.expires_at > ?',
    postgresql:
      'select u.email, u.role, u.customer_id is not null as has_customer, s.last_used_at from sessions s join users u on u.id = s.user_id ' +
      'where s.id = $1 and s.user_id = $2 and s.revoked_at is null and s.expires_at > $3',
  },
} as const;

/** SQLite answers 0/1 and epoch ms, PostgreSQL a boolean and a Date. */
interface Row {
  email: string;
  role: Role;
  has_customer: 0 | 1 | boolean;
  last_used_at: number | Date;
}

/** The live-session read every authenticated request makes, on the read lane (db/read-lane.ts). */
export class SessionReads {
  private readonly live: PreparedRead<Row>;

  constructor(lane: ReadLane) {
    this.live = lane.prepare({ name: 'carly_live_session', sql: SESSION_READS.live[lane.dialect] });
  }

  session(sessionId: string, userId: string, now: Date): LiveSessionRow | null | Promise<LiveSessionRow | null> {
    return mapRead(this.live.one([sessionId, userId, now]), (row) =>
      row
        ? {
            email: row.email,
            role: row.role,
            hasCustomer: row.has_customer === 1 || row.has_customer === true,
            lastUsedAt: typeof row.last_used_at === 'number' ? new Date(row.last_used_at) : row.last_used_at,
          }
        : null,
    );
  }
}

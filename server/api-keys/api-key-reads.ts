import type { Scope } from '../../client-sdk/src/schemas/api-keys.js';
import { mapRead, type PreparedRead, type ReadLane } from '../db/read-lane.js';

/** What the authenticator needs of a key's row. */
export interface ApiKeyRow {
  id: string;
  name: string;
  scopes: Scope[];
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** The API-keys feature's statement on the read lane (tracing names its spans after the text). */
export const API_KEY_READS = {
  byHash: {
    sqlite: 'select id, name, scopes, expires_at, last_used_at, revoked_at from api_keys where secret_hash = ?',
    postgresql: 'select id, name, scopes, expires_at, last_used_at, revoked_at from api_keys where secret_hash = $1',
  },
} as const;

/** SQLite answers JSON text and epoch ms, PostgreSQL parsed JSON and Dates. */
type Stored = number | Date | null;
interface Row {
  id: string;
  name: string;
  scopes: string | Scope[];
  expires_at: Stored;
  last_used_at: Stored;
  revoked_at: Stored;
}

const date = (value: Stored): Date | null => (typeof value === 'number' ? new Date(value) : value);

/** A key by the hash of its secret, on the read lane (db/read-lane.ts): every API-key request asks. */
export class ApiKeyReads {
  private readonly byHash: PreparedRead<Row>;

  constructor(lane: ReadLane) {
    this.byHash = lane.prepare({ name: 'carly_api_key_by_hash', sql: API_KEY_READS.byHash[lane.dialect] });
  }

  apiKey(secretHash: string): ApiKeyRow | null | Promise<ApiKeyRow | null> {
    return mapRead(this.byHash.one([secretHash]), (row) =>
      row
        ? {
            id: row.id,
            name: row.name,
            scopes: typeof row.scopes === 'string' ? (JSON.parse(row.scopes) as Scope[]) : row.scopes,
            expiresAt: date(row.expires_at),
            lastUsedAt: date(row.last_used_at),
            revokedAt: date(row.revoked_at),
          }
        : null,
    );
  }
}

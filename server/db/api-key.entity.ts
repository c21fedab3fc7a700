import { EntitySchema } from '@mikro-orm/core';
import type { Scope } from '../../client-sdk/src/schemas/api-keys.js';

/** A machine caller's credential. Only the SHA-256 of its secret is kept. */
export class ApiKeyEntity {
  id!: string;
  name!: string;
  /** The secret's first characters, shown so people can recognise the key. */
  start!: string;
  secretHash!: string;
  scopes!: Scope[];
  /** The admin account that created it (kept as a plain id: the key outlives nothing but itself). */
  createdBy: string | null = null;
  createdAt!: Date;
  expiresAt: Date | null = null;
  lastUsedAt: Date | null = null;
  revokedAt: Date | null = null;
}

export const ApiKeySchema = new EntitySchema<ApiKeyEntity>({
  class: ApiKeyEntity,
  tableName: 'api_keys',
  properties: {
    id: { type: 'string', length: 32, primary: true },
    name: { type: 'string', length: 100 },
    start: { type: 'string', length: 20 },
    secretHash: { type: 'string', length: 64, unique: 'api_keys_secret_hash_unique', hidden: true },
    scopes: { type: 'json' },
    createdBy: { type: 'string', length: 36, nullable: true },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date', nullable: true },
    lastUsedAt: { type: 'Date', nullable: true },
    revokedAt: { type: 'Date', nullable: true },
  },
});

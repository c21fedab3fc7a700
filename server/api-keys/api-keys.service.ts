import { randomBytes } from 'node:crypto';
import type { ApiKey, ApiKeyCreateData } from '../../client-sdk/src/schemas/api-keys.js';
import type { Clock } from '../clock.js';
import { ApiKeyEntity } from '../db/api-key.entity.js';
import type { WriteTransactions } from '../db/write-transaction.js';
import { badRequest, notFound } from '../errors.js';
import { generateSecret, hashSecret, VISIBLE_START } from './secret-format.js';

export const toApiKey = (k: ApiKeyEntity): ApiKey => ({
  id: k.id,
  name: k.name,
  start: k.start,
  scopes: k.scopes,
  createdAt: k.createdAt,
  expiresAt: k.expiresAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
});

/** API keys: created by an admin, shown once, revoked at once. */
export class ApiKeysService {
  constructor(
    private readonly writes: WriteTransactions,
    private readonly clock: Clock,
    /** Told which key a revocation ended, once it committed, so this instance forgets it at once. */
    private readonly onRevoked: (id: string) => void,
  ) {}

  async create(input: ApiKeyCreateData, createdBy: string): Promise<{ apiKey: ApiKey; secret: string }> {
    const now = this.clock.now();
    if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) throw badRequest('expiresAt must be in the future');
    const secret = generateSecret();
    const apiKey = await this.writes.run(async (em, log) => {
      const key = em.create(ApiKeyEntity, {
        id: `key_${randomBytes(12).toString('hex')}`,
        name: input.name,
        start: secret.slice(0, VISIBLE_START),
        secretHash: hashSecret(secret),
        scopes: input.scopes,
        createdBy,
        createdAt: now,
        expiresAt: input.expiresAt ?? null,
      });
      log.audit({ action: 'apiKey.created', target: { type: 'apiKey', id: key.id }, changes: { name: [null, input.name], scopes: [null, input.scopes] } });
      return toApiKey(key);
    });
    return { apiKey, secret };
  }

  async list(): Promise<{ items: ApiKey[] }> {
    const em = this.writes.entityManager;
    const keys = await em.find(ApiKeyEntity, {}, { orderBy: { createdAt: 'desc', id: 'asc' } });
    return { items: keys.map(toApiKey) };
  }

  /** Revokes a live key; revoking one already revoked answers the key as it is (nothing changes). */
  async revoke(id: string): Promise<ApiKey> {
    const revoked = await this.writes.run(async (em, log) => {
      const key = await em.findOne(ApiKeyEntity, { id });
      if (!key) throw notFound(`No API key with id ${id}`);
      if (!key.revokedAt) {
        key.revokedAt = this.clock.now();
        log.audit({ action: 'apiKey.revoked', target: { type: 'apiKey', id: key.id }, changes: { revokedAt: [null, key.revokedAt] } });
      }
      return toApiKey(key);
    });
    this.onRevoked(id);
    return revoked;
  }
}

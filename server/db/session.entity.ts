import { EntitySchema } from '@mikro-orm/core';
import { UserEntity } from './user.entity.js';

/** One login: the refresh token's hash, where it came from, and when it ended. */
export class SessionEntity {
  id!: string;
  user!: UserEntity;
  refreshHash!: string;
  userAgent: string | null = null;
  ip: string | null = null;
  createdAt!: Date;
  lastUsedAt!: Date;
  expiresAt!: Date;
  revokedAt: Date | null = null;
}

export const SessionSchema = new EntitySchema<SessionEntity>({
  class: SessionEntity,
  tableName: 'sessions',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    user: { kind: 'm:1', entity: () => UserEntity, deleteRule: 'cascade', index: 'sessions_user_id_index' },
    refreshHash: { type: 'string', length: 64, hidden: true },
    userAgent: { type: 'string', length: 512, nullable: true },
    ip: { type: 'string', length: 64, nullable: true },
    createdAt: { type: 'Date' },
    lastUsedAt: { type: 'Date' },
    expiresAt: { type: 'Date' },
    revokedAt: { type: 'Date', nullable: true },
  },
});

import { EntitySchema } from '@mikro-orm/core';
import { UserEntity } from './user.entity.js';

/** A password-reset token, stored only as its SHA-256; single use, short-lived. */
export class ResetTokenEntity {
  id!: number;
  user!: UserEntity;
  tokenHash!: string;
  createdAt!: Date;
  expiresAt!: Date;
  usedAt: Date | null = null;
}

export const ResetTokenSchema = new EntitySchema<ResetTokenEntity>({
  class: ResetTokenEntity,
  tableName: 'password_reset_tokens',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    user: { kind: 'm:1', entity: () => UserEntity, deleteRule: 'cascade', index: 'password_reset_tokens_user_id_index' },
    tokenHash: { type: 'string', length: 64, unique: 'password_reset_tokens_token_hash_unique', hidden: true },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date' },
    usedAt: { type: 'Date', nullable: true },
  },
});

import { EntitySchema } from '@mikro-orm/core';
import { UserEntity } from './user.entity.js';

/**
 * An email-verification token, stored only as its SHA-256; single use, valid 24 hours. Mailed when
 * a signup claims an existing customer record: spending it links the record to the account.
 */
export class EmailVerificationTokenEntity {
  id!: number;
  user!: UserEntity;
  tokenHash!: string;
  createdAt!: Date;
  expiresAt!: Date;
  usedAt: Date | null = null;
}

export const EmailVerificationTokenSchema = new EntitySchema<EmailVerificationTokenEntity>({
  class: EmailVerificationTokenEntity,
  tableName: 'email_verification_tokens',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    user: { kind: 'm:1', entity: () => UserEntity, deleteRule: 'cascade', index: 'email_verification_tokens_user_id_index' },
    tokenHash: { type: 'string', length: 64, unique: 'email_verification_tokens_token_hash_unique', hidden: true },
    createdAt: { type: 'Date' },
    expiresAt: { type: 'Date' },
    usedAt: { type: 'Date', nullable: true },
  },
});

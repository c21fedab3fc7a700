import { EntitySchema } from '@mikro-orm/core';
import type { Role } from '../../client-sdk/src/schemas/auth.js';
import { CustomerEntity } from './customer.entity.js';

/** An account: credentials and role. A customer's account dies with its customer record. */
export class UserEntity {
  id!: string;
  email!: string;
  passwordHash!: string;
  role!: Role;
  customer: CustomerEntity | null = null;
  createdAt!: Date;
  passwordChangedAt!: Date;
}

export const UserSchema = new EntitySchema<UserEntity>({
  class: UserEntity,
  tableName: 'users',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    email: { type: 'string', length: 254, unique: 'users_email_unique' },
    passwordHash: { type: 'string', length: 100, lazy: false, hidden: true },
    role: { type: 'string', length: 16 },
    customer: {
      kind: 'm:1',
      entity: () => CustomerEntity,
      nullable: true,
      deleteRule: 'cascade',
      index: 'users_customer_id_index',
    },
    createdAt: { type: 'Date' },
    passwordChangedAt: { type: 'Date' },
  },
});

import { EntitySchema } from '@mikro-orm/core';
import type { Address } from '../../client-sdk/src/schemas/customer.js';

export class CustomerEntity {
  id!: number;
  /** The public id (`cus_…`): opaque, stable, never reused. The row id never leaves the server. */
  publicId!: string;
  email!: string;
  firstName!: string;
  lastName!: string;
  /** Lower-cased copies of the names, for case-insensitive prefix search and sorting by index. */
  firstNameKey!: string;
  lastNameKey!: string;
  phone: string | null = null;
  company: string | null = null;
  address: Address | null = null;
  metadata: Record<string, string> = {};
  /**
   * Folded copies for search (NFKD, marks removed, lower-cased; phone as digits), computed by
   * the writers in code (search/search-keys.ts), never by the database: see docs/architecture.md.
   */
  firstNameFold!: string;
  lastNameFold!: string;
  nameFold!: string;
  phoneFold: string | null = null;
  companyFold: string | null = null;
  cityFold: string | null = null;
  countryFold: string | null = null;
  searchWords!: string;
  metadataFold!: string;
  createdAt!: Date;
  updatedAt!: Date;
  version!: number;
}

export const CustomerSchema = new EntitySchema<CustomerEntity>({
  class: CustomerEntity,
  tableName: 'customers',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    // SQLite could add this NOT NULL column to existing rows only with a default (''); the
    // migration then gave every row its id, so that default is not compared.
    publicId: { type: 'string', length: 32, unique: 'customers_public_id_unique', ignoreSchemaChanges: ['default'] },
    email: { type: 'string', length: 254, unique: 'customers_email_unique' },
    firstName: { type: 'string', length: 100 },
    lastName: { type: 'string', length: 100 },
    firstNameKey: { type: 'string', length: 100, index: 'customers_first_name_key_index' },
    lastNameKey: { type: 'string', length: 100 },
    phone: { type: 'string', length: 32, nullable: true },
    company: { type: 'string', length: 200, nullable: true },
    address: { type: 'json', nullable: true },
    metadata: { type: 'json' },
    // Text, not varchar(n): NFKD can make a string longer (ﬁ → fi). The SQLite migration added the
    // NOT NULL ones with a default ('') it cannot drop; the back-fill replaced it everywhere.
    firstNameFold: { type: 'text', ignoreSchemaChanges: ['default'] },
    lastNameFold: { type: 'text', ignoreSchemaChanges: ['default'] },
    nameFold: { type: 'text', ignoreSchemaChanges: ['default'] },
    phoneFold: { type: 'text', nullable: true },
    companyFold: { type: 'text', nullable: true },
    cityFold: { type: 'text', nullable: true },
    countryFold: { type: 'text', nullable: true, index: 'customers_country_fold_index' },
    searchWords: { type: 'text', ignoreSchemaChanges: ['default'] },
    metadataFold: { type: 'text', ignoreSchemaChanges: ['default'] },
    createdAt: { type: 'Date', onCreate: () => new Date() },
    // Set by the ORM only when a flush really changes the row.
    updatedAt: { type: 'Date', onCreate: () => new Date(), onUpdate: () => new Date() },
    version: { type: 'integer', version: true },
  },
  indexes: [
    // One index per sort order, with id as the tie-breaker the cursor uses.
    { name: 'customers_created_at_id_index', properties: ['createdAt', 'id'] },
    { name: 'customers_updated_at_id_index', properties: ['updatedAt', 'id'] },
    { name: 'customers_last_name_key_id_index', properties: ['lastNameKey', 'id'] },
  ],
});

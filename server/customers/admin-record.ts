import type { EntityManager } from '@mikro-orm/knex';
import { UserEntity } from '../db/user.entity.js';
import { forbidden } from '../errors.js';

/**
 * An admin promoted from a customer account stays linked to its customer record. Deleting or
 * erasing that record would end the admin's sessions and remove the account, so a key with
 * `customers:write` (or any caller) could lock an admin out. The API refuses, for every caller
 * (docs/security.md, "Admin accounts and customer records"); the record's fields can still be
 * read and changed.
 */
export const adminRecordRefused = () =>
  forbidden('This customer record belongs to an admin account; the API never deletes, erases or locks out an admin account');

/** Throws adminRecordRefused when an admin account is linked to the customer record `customerId` (its row id). */
export async function refuseIfAdminRecord(em: EntityManager, customerId: number): Promise<void> {
  if (await em.count(UserEntity, { customer: customerId, role: 'admin' })) throw adminRecordRefused();
}

import type { Customer } from '../../client-sdk/src/schemas/customer.js';
import type { CustomerEntity } from '../db/customer.entity.js';

/** The public shape of a customer; the row id never leaves the server. */
export const toCustomer = (e: CustomerEntity): Customer => ({
  email: e.email,
  firstName: e.firstName,
  lastName: e.lastName,
  phone: e.phone,
  company: e.company,
  address: e.address,
  metadata: e.metadata,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
  version: e.version,
});

/** The lower-cased keys that search and the lastName sort use. */
export const nameKeys = (firstName: string, lastName: string) => ({
  firstNameKey: firstName.toLowerCase(),
  lastNameKey: lastName.toLowerCase(),
});

import { CustomerSchema } from './customer.entity.js';

/** Every entity the ORM knows; the order does not matter. */
export const entities = [CustomerSchema];

import { z } from 'zod';
import { CustomerCreateInput } from '../../client-sdk/src/schemas/customer.js';

/** One row of a customer export: the API's create fields, optionally with the original createdAt. */
export const ImportRowSchema = CustomerCreateInput.extend({
  createdAt: z.coerce.date().optional(),
});
export type ImportRow = z.output<typeof ImportRowSchema>;

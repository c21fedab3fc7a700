import {
  CustomerCreateInput,
  CustomerKeyInput,
  CustomerListInput,
  CustomerPageSchema,
  CustomerSchema,
  CustomerUpdateInput,
  DeletedSchema,
} from '../../client-sdk/src/schemas/customer.js';
import { adminProcedure, authedProcedure, router, selfOrAdmin } from '../trpc/init.js';

const tags = ['customers'];

/** Thin wiring: each procedure validates, authorises (builder + middleware), and makes one service call. */
export const customersRouter = router({
  list: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/customers', tags, summary: 'List customers, a page at a time (admin)' } })
    .input(CustomerListInput)
    .output(CustomerPageSchema)
    .query(({ ctx, input }) => ctx.services.customers.list(input)),

  create: adminProcedure
    .meta({
      openapi: { method: 'POST', path: '/customers', tags, summary: 'Create a customer (admin)', errorResponses: { 409: 'A customer with this email exists' } },
    })
    .input(CustomerCreateInput)
    .output(CustomerSchema)
    .mutation(({ ctx, input }) => ctx.services.customers.create(input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/customers/{email}',
        tags,
        summary: 'Get one customer by email',
        description: 'Admins may read any customer; a customer only their own record (403 for any other email, existing or not).',
        errorResponses: { 404: 'No such customer' },
      },
    })
    .input(CustomerKeyInput)
    .use(({ ctx, input, next }) => selfOrAdmin(ctx.user, input.email, next))
    .output(CustomerSchema)
    .query(({ ctx, input }) => ctx.services.customers.get(input.email)),

  update: authedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/customers/{email}',
        tags,
        summary: 'Update some fields of a customer',
        description: 'Admins may update any customer; a customer only their own record. Only the fields sent change; `metadata`, when sent, replaces the whole map. Send the `version` you read to refuse the update (409) if someone changed the customer since.',
        errorResponses: { 404: 'No such customer', 409: 'Stale version' },
      },
    })
    .input(CustomerUpdateInput)
    .use(({ ctx, input, next }) => selfOrAdmin(ctx.user, input.email, next))
    .output(CustomerSchema)
    .mutation(({ ctx, input }) => ctx.services.customers.update(input)),

  delete: adminProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/customers/{email}', tags, summary: 'Delete a customer, its account and its sessions (admin)', errorResponses: { 404: 'No such customer' } },
    })
    .input(CustomerKeyInput)
    .output(DeletedSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.customers.delete(input.email);
      return { deleted: true as const, email: input.email };
    }),
});

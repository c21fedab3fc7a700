import {
  CustomerCreateInput,
  CustomerKeyInput,
  CustomerListInput,
  CustomerPageSchema,
  CustomerSchema,
  CustomerUpdateInput,
  DeletedSchema,
} from '../../client-sdk/src/schemas/customer.js';
import { publicProcedure, router } from '../trpc/init.js';

const tags = ['customers'];

/** Thin wiring: each procedure validates, authorises (builder), and makes one service call. */
export const customersRouter = router({
  list: publicProcedure
    .meta({ openapi: { method: 'GET', path: '/customers', tags, summary: 'List customers, a page at a time' } })
    .input(CustomerListInput)
    .output(CustomerPageSchema)
    .query(({ ctx, input }) => ctx.services.customers.list(input)),

  create: publicProcedure
    .meta({
      openapi: { method: 'POST', path: '/customers', tags, summary: 'Create a customer', errorResponses: { 409: 'A customer with this email exists' } },
    })
    .input(CustomerCreateInput)
    .output(CustomerSchema)
    .mutation(({ ctx, input }) => ctx.services.customers.create(input)),

  get: publicProcedure
    .meta({
      openapi: { method: 'GET', path: '/customers/{email}', tags, summary: 'Get one customer by email', errorResponses: { 404: 'No such customer' } },
    })
    .input(CustomerKeyInput)
    .output(CustomerSchema)
    .query(({ ctx, input }) => ctx.services.customers.get(input.email)),

  update: publicProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/customers/{email}',
        tags,
        summary: 'Update some fields of a customer',
        description: 'Only the fields sent change; `metadata`, when sent, replaces the whole map. Send the `version` you read to refuse the update (409) if someone changed the customer since.',
        errorResponses: { 404: 'No such customer', 409: 'Stale version' },
      },
    })
    .input(CustomerUpdateInput)
    .output(CustomerSchema)
    .mutation(({ ctx, input }) => ctx.services.customers.update(input)),

  delete: publicProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/customers/{email}', tags, summary: 'Delete a customer', errorResponses: { 404: 'No such customer' } },
    })
    .input(CustomerKeyInput)
    .output(DeletedSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.services.customers.delete(input.email);
      return { deleted: true as const, email: input.email };
    }),
});

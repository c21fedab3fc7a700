import {
  CustomerCreateInput,
  CustomerKeyInput,
  CustomerListInput,
  CustomerPageSchema,
  CustomerSchema,
  CustomerUpdateInput,
  DeletedSchema,
} from '../../client-sdk/src/schemas/customer.js';
import { ErasedSchema, EraseInput, PersonalDataExportSchema } from '../../client-sdk/src/schemas/privacy.js';
import { CustomerSearchInput, CustomerSearchPageSchema } from '../../client-sdk/src/schemas/search.js';
import { onChange } from '../events/events.router.js';
import { SEARCH_DESCRIPTION } from '../search/search-description.js';
import { ownRecordProcedure, router, staffProcedure } from '../trpc/init.js';

const tags = ['customers'];

/** Thin wiring: each procedure validates, authorises (builder + middleware), and makes one service call. */
export const customersRouter = router({
  list: staffProcedure('customers:read')
    .meta({ openapi: { method: 'GET', path: '/customers', tags, summary: 'List customers, a page at a time' } })
    .input(CustomerListInput)
    .output(CustomerPageSchema)
    .query(({ ctx, input }) => ctx.services.customers.list(input)),

  // Before the /customers/{email} routes: `search` is a path of its own, never an email.
  search: staffProcedure('customers:read')
    .meta({
      openapi: {
        method: 'GET',
        path: '/customers/search',
        tags,
        summary: 'Search customers: a query language and typo-tolerant free text',
        description: SEARCH_DESCRIPTION,
      },
    })
    .input(CustomerSearchInput)
    .output(CustomerSearchPageSchema)
    .query(({ ctx, input }) => ctx.services.search.search(input)),

  create: staffProcedure('customers:write')
    .meta({
      openapi: { method: 'POST', path: '/customers', tags, summary: 'Create a customer', errorResponses: { 409: 'A customer with this email exists' } },
    })
    .input(CustomerCreateInput)
    .output(CustomerSchema)
    .mutation(({ ctx, input }) => ctx.services.customers.create(input)),

  get: ownRecordProcedure('customers:read', CustomerKeyInput)
    .meta({
      openapi: {
        method: 'GET',
        path: '/customers/{email}',
        tags,
        summary: 'Get one customer by email',
        errorResponses: { 404: 'No such customer' },
      },
    })
    .output(CustomerSchema)
    .query(({ ctx, input }) => ctx.services.customers.get(input.email)),

  update: ownRecordProcedure('customers:write', CustomerUpdateInput)
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/customers/{email}',
        tags,
        summary: 'Update some fields of a customer',
        description:
          'Only the fields sent change; `metadata`, when sent, replaces the whole map. Send the `version` you read to refuse the update (409) if someone changed the customer since.',
        errorResponses: { 404: 'No such customer', 409: 'Stale version' },
      },
    })
    .output(CustomerSchema)
    .mutation(({ ctx, input }) => ctx.services.customers.update(input)),

  export: ownRecordProcedure('customers:read', CustomerKeyInput)
    .meta({
      openapi: {
        method: 'GET',
        path: '/customers/{email}/export',
        tags,
        summary: 'Everything held about a person, as one JSON document (GDPR art. 15)',
        description:
          'The customer record, the account (never its password hash), sessions, password resets, rate-limit counts, Idempotency-Key records, ' +
          'change events about the customer and audit entries where the person acted or was acted on. The export itself is audited.',
        errorResponses: { 404: 'No such customer' },
      },
    })
    .output(PersonalDataExportSchema)
    .query(({ ctx, input }) => ctx.services.privacy.export(input.email)),

  erase: ownRecordProcedure('customers:write', EraseInput)
    .meta({
      openapi: {
        method: 'POST',
        path: '/customers/{email}/erase',
        tags,
        summary: 'Erase a person (GDPR art. 17): send the email again as `confirm`',
        description:
          'One transaction: deletes the customer, its account, sessions, reset tokens, rate-limit counts and Idempotency-Key records, and replaces ' +
          "the person's email, names, address, phone, IP and user agent in the audit entries and events it keeps by a random pseudonym; records a " +
          '`customer.erased` event (id only) and an audit entry. Every token of the account answers 401 at once; the email may sign up again.',
        errorResponses: {
          403: 'Not allowed, or the record belongs to an admin account (never erased through the API)',
          404: 'No such customer (or erased already)',
        },
      },
    })
    .output(ErasedSchema)
    .mutation(({ ctx, input }) => ctx.services.privacy.erase(input.email)),

  delete: staffProcedure('customers:write')
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/customers/{email}',
        tags,
        summary: 'Delete a customer, its account and its sessions',
        errorResponses: { 403: 'Not allowed, or the record belongs to an admin account (never deleted through the API)', 404: 'No such customer' },
      },
    })
    .input(CustomerKeyInput)
    .output(DeletedSchema)
    .mutation(({ ctx, input }) => ctx.services.customers.delete(input.email)),

  /** Live change events (SSE subscription): every event for an admin or an `events:read` key, its own record's for a customer. */
  onChange,
});

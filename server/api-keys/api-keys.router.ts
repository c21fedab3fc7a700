import { ApiKeyCreatedSchema, ApiKeyCreateInput, ApiKeyIdInput, ApiKeyListSchema, ApiKeySchema } from '../../client-sdk/src/schemas/api-keys.js';
import { adminProcedure, router } from '../trpc/init.js';

const tags = ['api-keys'];

/** API keys for machine callers; only a signed-in admin manages them (no key may). */
export const apiKeysRouter = router({
  create: adminProcedure
    .meta({
      returnsSecret: true,
      openapi: {
        method: 'POST',
        path: '/api-keys',
        tags,
        summary: 'Create an API key; its secret is shown this once',
        description:
          'The secret (`carly_sk_` + 30 base62 characters + a 6-character CRC32 checksum) is returned only in this answer; only its SHA-256 is stored. ' +
          'Send it as `Authorization: Bearer <secret>`. The key acts as an admin limited to its scopes.',
      },
    })
    .input(ApiKeyCreateInput)
    .output(ApiKeyCreatedSchema)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.create(input, ctx.user.id)),

  list: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/api-keys', tags, summary: 'List API keys (never their secrets)' } })
    .output(ApiKeyListSchema)
    .query(({ ctx }) => ctx.services.apiKeys.list()),

  revoke: adminProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/api-keys/{id}',
        tags,
        summary: 'Revoke an API key: it stops working at once (on every instance within a second)',
        errorResponses: { 404: 'No such API key' },
      },
    })
    .input(ApiKeyIdInput)
    .output(ApiKeySchema)
    .mutation(({ ctx, input }) => ctx.services.apiKeys.revoke(input.id)),
});

import { z } from 'zod';
import { InstantInput, TimestampSchema, text } from './common.js';

/** What an API key may do. A key acts as an admin limited to these; no key may manage API keys. */
export const API_KEY_SCOPES = ['customers:read', 'customers:write', 'customers:export', 'events:read', 'webhooks:manage', 'audit:read'] as const;
export const ScopeSchema = z.enum(API_KEY_SCOPES).meta({ id: 'Scope' });
export type Scope = z.infer<typeof ScopeSchema>;

/**
 * What a scope gives beyond its name (docs/api.md, "Scopes"). `customers:write` answers with the
 * record it changed, so an empty PATCH would read any record: writing implies reading.
 * `webhooks:manage` can point a webhook at every event type: managing webhooks implies reading events.
 */
export const SCOPE_IMPLIES: Readonly<Record<Scope, readonly Scope[]>> = {
  'customers:read': [],
  'customers:write': ['customers:read'],
  // Bulk personal data: its own grant; it implies nothing, and nothing implies it.
  'customers:export': [],
  'events:read': [],
  'webhooks:manage': ['events:read'],
  'audit:read': [],
};

/** Whether a key with `held` scopes may act under `needed`: it holds it, or a scope that implies it. */
export const grantsScope = (held: readonly Scope[], needed: Scope): boolean => held.includes(needed) || held.some((s) => SCOPE_IMPLIES[s].includes(needed));

export const ApiKeySchema = z
  .object({
    id: z.string().meta({ example: 'key_3f9a1c0d8e7b6a5f4e3d2c1b' }),
    name: z.string().meta({ example: 'billing job' }),
    start: z.string().meta({ description: 'The first characters of the secret, to recognise a key', example: 'carly_sk_Ab3dE' }),
    scopes: z.array(ScopeSchema),
    createdAt: TimestampSchema,
    expiresAt: TimestampSchema.nullable().meta({ description: 'null: never expires' }),
    lastUsedAt: TimestampSchema.nullable().meta({ description: 'To the minute; null if never used' }),
    revokedAt: TimestampSchema.nullable(),
  })
  .meta({ id: 'ApiKey' });
export type ApiKey = z.output<typeof ApiKeySchema>;

export const ApiKeyCreateInput = z
  .strictObject({
    name: text().trim().min(1).max(100).meta({ example: 'billing job' }),
    scopes: z
      .array(ScopeSchema)
      .min(1, 'Give the key at least one scope')
      .max(API_KEY_SCOPES.length)
      .refine((s) => new Set(s).size === s.length, 'Each scope at most once'),
    expiresAt: InstantInput.optional().meta({ description: 'When the key stops working (ISO 8601, in the future); left out: never' }),
  })
  .meta({ id: 'ApiKeyCreate' });
export type ApiKeyCreateInput = z.input<typeof ApiKeyCreateInput>;
export type ApiKeyCreateData = z.output<typeof ApiKeyCreateInput>;

export const ApiKeyCreatedSchema = z
  .object({
    apiKey: ApiKeySchema,
    secret: z.string().meta({ description: 'Send as `Authorization: Bearer <secret>`. Shown this once and never again.' }),
  })
  .meta({ id: 'ApiKeyCreated' });

export const ApiKeyListSchema = z.object({ items: z.array(ApiKeySchema) }).meta({ id: 'ApiKeyList' });

export const ApiKeyIdInput = z.strictObject({ id: text().min(1).max(64) });
export type ApiKeyIdInput = z.input<typeof ApiKeyIdInput>;

import { z } from 'zod';
import { EmailSchema, queryLimit, RESERVED_KEYS, TimestampSchema, text } from './common.js';
import { COUNTRY_CODES } from './countries.js';

const COUNTRY_SET = new Set(COUNTRY_CODES);
export const METADATA_MAX_KEYS = 50;
export const METADATA_KEY_MAX = 40;
export const METADATA_VALUE_MAX = 500;

const name = (what: string, example: string) => text().trim().min(1, `${what} must not be empty`).max(100).meta({ example });

const optionalText = (max: number) => text().trim().min(1).max(max);

export const AddressSchema = z
  .strictObject({
    line1: optionalText(200),
    line2: optionalText(200).nullable().default(null),
    city: optionalText(100),
    region: optionalText(100).nullable().default(null),
    postalCode: optionalText(20).nullable().default(null),
    country: text()
      .trim()
      .toUpperCase()
      .refine((c) => COUNTRY_SET.has(c), 'Must be an ISO 3166-1 alpha-2 country code')
      .meta({ description: 'ISO 3166-1 alpha-2 country code', example: 'GB' }),
  })
  .meta({ id: 'Address' });
export type Address = z.output<typeof AddressSchema>;

export const PhoneSchema = text()
  .trim()
  .regex(/^\+?[0-9][0-9 ().-]{2,30}$/, 'Phone may hold digits, spaces, ( ) . - and a leading +')
  .meta({ example: '+44 20 7946 0958' });

/** zod's record skips a `__proto__` key without a word: refuse it here, before the record reads the map. */
const refuseProtoKey = (value: unknown, ctx: z.RefinementCtx) => {
  if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__')) {
    ctx.addIssue({ code: 'custom', path: ['__proto__'], message: 'Reserved key: __proto__, constructor and prototype cannot be stored' });
  }
  return value;
};

export const MetadataSchema = z
  // Typed as taking the map it returns: SDK callers send string-to-string maps.
  .preprocess<unknown, z.ZodRecord<z.ZodString, z.ZodString>, Record<string, string>>(
    refuseProtoKey,
    z.record(
      text()
        .min(1)
        .max(METADATA_KEY_MAX)
        .refine((k) => !RESERVED_KEYS.has(k), 'Reserved key: __proto__, constructor and prototype cannot be stored'),
      text().max(METADATA_VALUE_MAX),
    ),
  )
  .refine((m) => Object.keys(m).length <= METADATA_MAX_KEYS, `At most ${METADATA_MAX_KEYS} metadata keys`)
  .meta({
    description: `Your own string data: at most ${METADATA_MAX_KEYS} keys of up to ${METADATA_KEY_MAX} characters, values up to ${METADATA_VALUE_MAX}`,
    example: { plan: 'pro' },
  });

const editableFields = {
  firstName: name('firstName', 'Ada'),
  lastName: name('lastName', 'Lovelace'),
  phone: PhoneSchema.nullable(),
  company: optionalText(200).nullable().meta({ example: 'Analytical Engines Ltd' }),
  address: AddressSchema.nullable(),
  metadata: MetadataSchema,
};

/** Fields for creating a customer. Unknown fields are refused. */
export const CustomerCreateInput = z
  .strictObject({
    email: EmailSchema,
    firstName: editableFields.firstName,
    lastName: editableFields.lastName,
    phone: editableFields.phone.default(null),
    company: editableFields.company.default(null),
    address: editableFields.address.default(null),
    // The default is restated for the document: it does not show through the preprocess step.
    metadata: editableFields.metadata.default({}).meta({ override: { default: {} } }),
  })
  .meta({ id: 'CustomerCreate' });
export type CustomerCreateInput = z.input<typeof CustomerCreateInput>;
export type CustomerCreateData = z.output<typeof CustomerCreateInput>;

export const CustomerKeyInput = z.strictObject({ email: EmailSchema });
export type CustomerKeyInput = z.input<typeof CustomerKeyInput>;

/** Partial update: only the fields sent change. `metadata`, when sent, replaces the whole map. */
export const CustomerUpdateInput = z
  .strictObject({
    email: EmailSchema,
    firstName: editableFields.firstName.optional(),
    lastName: editableFields.lastName.optional(),
    phone: editableFields.phone.optional(),
    company: editableFields.company.optional(),
    address: editableFields.address.optional(),
    metadata: editableFields.metadata.optional(),
    version: z.number().int().min(1).optional().meta({ description: 'The version you read; when stale the update is refused with 409 and nothing changes' }),
  })
  .meta({ id: 'CustomerUpdate' });
export type CustomerUpdateInput = z.input<typeof CustomerUpdateInput>;
export type CustomerUpdateData = z.output<typeof CustomerUpdateInput>;

export const CustomerSchema = z
  .object({
    id: z.string().meta({ description: 'Opaque and stable; never reused', example: 'cus_9c1d0e2f3a4b5c6d7e8f9a0b' }),
    email: z.string().meta({ example: 'ada@example.com' }),
    firstName: z.string(),
    lastName: z.string(),
    phone: z.string().nullable(),
    company: z.string().nullable(),
    address: z
      .object({
        line1: z.string(),
        line2: z.string().nullable(),
        city: z.string(),
        region: z.string().nullable(),
        postalCode: z.string().nullable(),
        country: z.string(),
      })
      .nullable(),
    metadata: z.record(z.string(), z.string()),
    createdAt: TimestampSchema,
    updatedAt: TimestampSchema,
    version: z.number().int().meta({ description: 'Increments on every change', example: 1 }),
  })
  .meta({ id: 'Customer' });
export type Customer = z.output<typeof CustomerSchema>;

export const CUSTOMER_SORTS = ['createdAt', '-createdAt', 'updatedAt', '-updatedAt', 'email', '-email', 'lastName', '-lastName'] as const;
export const CustomerSortSchema = z.enum(CUSTOMER_SORTS);
export type CustomerSort = z.infer<typeof CustomerSortSchema>;

export const CustomerListInput = z
  .strictObject({
    limit: queryLimit(200, 50),
    cursor: text().max(1000).optional().meta({ description: 'The nextCursor of the previous page; only cursors this server issued are accepted' }),
    q: text().trim().min(1).max(200).optional().meta({ description: 'Case-insensitive prefix search over email, first name and last name', example: 'ada' }),
    sort: CustomerSortSchema.default('-createdAt').meta({
      description: 'Sort key; a leading - sorts descending. Ties break on creation order.',
    }),
  })
  .meta({ id: 'CustomerListQuery' });
export type CustomerListInput = z.input<typeof CustomerListInput>;
export type CustomerListQuery = z.output<typeof CustomerListInput>;

export const CustomerPageSchema = z
  .object({
    items: z.array(CustomerSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last page' }),
  })
  .meta({ id: 'CustomerPage' });
export type CustomerPage = z.output<typeof CustomerPageSchema>;

export const DeletedSchema = z.object({ deleted: z.literal(true), email: z.string() }).meta({ id: 'Deleted' });

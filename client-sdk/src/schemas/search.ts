import { z } from 'zod';
import { words } from '../query/fold.js';
import { queryError } from '../query/parser.js';
import { queryInt, text } from './common.js';
import { CustomerSchema } from './customer.js';

/** `q` may hold at most this many words (each is a lookup). */
export const FREE_TEXT_MAX_WORDS = 20;
export const FREE_TEXT_MAX_LENGTH = 1000;

export const CustomerSearchInput = z
  .strictObject({
    query: text()
      .superRefine((query, ctx) => {
        const err = queryError(query);
        if (err) ctx.addIssue({ code: 'custom', message: err.message });
      })
      .optional()
      .meta({
        description:
          'The query language (see the operation description): clauses `field:value`, `field~value`, dates with `> >= < <=`, AND, OR, `-`, parentheses',
        example: 'name~mull country:GB',
      }),
    q: text()
      .max(FREE_TEXT_MAX_LENGTH)
      .refine((q) => words(q).length <= FREE_TEXT_MAX_WORDS, `q has at most ${FREE_TEXT_MAX_WORDS} words`)
      .optional()
      .meta({
        description: 'Free text: each word matches a word of email, names or company by prefix, or (5+ characters) within one edit',
        example: 'ada lovelase',
      }),
    limit: queryInt(1, 200)
      .default(50)
      .meta({ description: 'Page size, 1-200, in decimal digits', override: { default: 50 } }),
    cursor: text().max(1000).optional().meta({ description: 'The nextCursor of the previous page, with the same query and q; limit may change' }),
  })
  .refine((input) => input.query !== undefined || input.q !== undefined, { message: 'Give query, q or both' })
  .meta({ id: 'CustomerSearchQuery' });
export type CustomerSearchInput = z.input<typeof CustomerSearchInput>;
export type CustomerSearchQuery = z.output<typeof CustomerSearchInput>;

export const CustomerSearchPageSchema = z
  .object({
    items: z.array(CustomerSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page; null on the last page' }),
  })
  .meta({ id: 'CustomerSearchPage' });
export type CustomerSearchPage = z.output<typeof CustomerSearchPageSchema>;

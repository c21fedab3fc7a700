/** The typed syntax tree of a search `query` (see parser.ts for the grammar). */

/** Fields compared as folded text, with `:` (equals) and `~` (contains). */
export const TEXT_FIELDS = ['id', 'email', 'firstName', 'lastName', 'name', 'phone', 'company', 'city', 'country'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

/** Fields compared as instants, with `:` `>` `>=` `<` `<=`. */
export const DATE_FIELDS = ['created', 'updated'] as const;
export type DateField = (typeof DATE_FIELDS)[number];

export type TextOperator = ':' | '~';
export type DateOperator = ':' | '>' | '>=' | '<' | '<=';

interface At {
  /** 1-based character position of the clause's first character. */
  position: number;
}

/** `field:value` / `field~value` on a folded text field (phone: folded to digits). */
export interface TextClause extends At {
  kind: 'text';
  field: TextField;
  op: TextOperator;
  /** The value as written (escapes resolved). */
  value: string;
  /** The value folded as the field is (foldText, or foldPhone for `phone`). */
  folded: string;
}

/** `metadata["key"]:value` / `metadata["key"]~value`: the key exact, the value folded. */
export interface MetadataClause extends At {
  kind: 'metadata';
  key: string;
  op: TextOperator;
  value: string;
  folded: string;
}

/**
 * `created` / `updated` against a date or date-time, resolved to a half-open range of epoch
 * milliseconds [from, to): either bound may be absent (unbounded).
 */
export interface DateClause extends At {
  kind: 'date';
  field: DateField;
  op: DateOperator;
  value: string;
  from: number | null;
  to: number | null;
}

export type Clause = TextClause | MetadataClause | DateClause;

export interface AndNode {
  kind: 'and';
  items: QueryNode[];
}
export interface OrNode {
  kind: 'or';
  items: QueryNode[];
}
export interface NotNode {
  kind: 'not';
  item: QueryNode;
}

export type QueryNode = Clause | AndNode | OrNode | NotNode;

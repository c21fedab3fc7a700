import { type Clause, DATE_FIELDS, type DateField, type DateOperator, type QueryNode, TEXT_FIELDS, type TextField, type TextOperator } from './ast.js';
import { charLength, foldPhone, foldText } from './fold.js';

/**
 * The search `query` language (the contract's "Search" section):
 *
 *   query   := or
 *   or      := and ( "OR" and )*
 *   and     := unary ( "AND"? unary )*          a plain space is AND; AND binds tighter than OR
 *   unary   := "-" primary | primary
 *   primary := "(" or ")" | clause
 *   clause  := field op value                     no spaces inside
 *   field   := id | email | firstName | lastName | name | phone | company | city | country
 *            | metadata["key"] | created | updated
 *   op      := ":" | "~" | ">" | ">=" | "<" | "<="   (the last four for created/updated only)
 *   value   := bare | "quoted"                   bare: a run of anything but spaces, ( ) and "
 *                                                quoted: \" and \\ escapes
 *
 * Positions are 1-based and count characters (code points); the end of the query is its length + 1.
 */

export const QUERY_MAX_LENGTH = 1000;
export const QUERY_MAX_CLAUSES = 10;
export const QUERY_MAX_DEPTH = 5;
/** `~` needs a value of at least this many folded characters (digits, for phone). */
export const CONTAINS_MIN_LENGTH = 3;

/** A malformed query: where (1-based character position) and what was expected. */
export class QuerySyntaxError extends Error {
  override readonly name = 'QuerySyntaxError';
  constructor(
    readonly position: number,
    readonly expected: string,
  ) {
    super(`position ${position}: ${expected}`);
  }
}

const SPACE = /\s/u;
const LETTER = /[A-Za-z]/;
const TEXT_FIELD_SET = new Set<string>(TEXT_FIELDS);
const DATE_FIELD_SET = new Set<string>(DATE_FIELDS);
const FIELD_LIST = [...TEXT_FIELDS, 'metadata["key"]', ...DATE_FIELDS].join(', ');

/** Parses a query into its syntax tree, or throws QuerySyntaxError. Limits are checked while parsing, before any database work. */
export function parseQuery(query: string): QueryNode {
  return new Parser(query).parse();
}

/** The first error of a query, or null when it is well-formed: for validating a query before sending it. */
export function queryError(query: string): QuerySyntaxError | null {
  try {
    parseQuery(query);
    return null;
  } catch (err) {
    if (err instanceof QuerySyntaxError) return err;
    throw err;
  }
}

class Parser {
  private readonly chars: string[];
  private i = 0;
  private clauses = 0;

  constructor(query: string) {
    // Checked before the query is split into characters: a long one costs nothing more.
    if (charLength(query) > QUERY_MAX_LENGTH) this.fail(QUERY_MAX_LENGTH + 1, `a query has at most ${QUERY_MAX_LENGTH} characters`);
    this.chars = [...query];
  }

  parse(): QueryNode {
    const node = this.or(0);
    this.skipSpaces();
    if (this.i < this.chars.length) {
      // Only a ")" without its "(" stops the top level before the end.
      this.fail(this.i + 1, 'expected a clause, AND, OR or the end of the query, not ")"');
    }
    return node;
  }

  private or(depth: number): QueryNode {
    const items = [this.and(depth)];
    while (this.keywordAhead() === 'OR') {
      this.i += 2;
      items.push(this.and(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private and(depth: number): QueryNode {
    const items = [this.unary(depth)];
    for (;;) {
      this.skipSpaces();
      const c = this.chars[this.i];
      if (c === undefined || c === ')' || this.keywordAhead() === 'OR') break;
      if (this.keywordAhead() === 'AND') this.i += 3;
      items.push(this.unary(depth));
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private unary(depth: number): QueryNode {
    this.skipSpaces();
    const c = this.chars[this.i];
    const keyword = this.keywordAhead();
    if (c === undefined || c === ')' || keyword) {
      this.fail(this.i + 1, keyword ? `expected a clause or "(", not "${keyword}"` : 'expected a clause or "("');
    }
    if (c === '-') {
      this.i++;
      const next = this.chars[this.i];
      if (next === undefined || SPACE.test(next) || next === ')' || next === '-') this.fail(this.i + 1, 'expected a clause or "(" right after "-"');
      return { kind: 'not', item: this.primary(depth) };
    }
    return this.primary(depth);
  }

  private primary(depth: number): QueryNode {
    if (this.chars[this.i] !== '(') return this.clause();
    if (depth + 1 > QUERY_MAX_DEPTH) this.fail(this.i + 1, `parentheses nest at most ${QUERY_MAX_DEPTH} deep`);
    this.i++;
    const node = this.or(depth + 1);
    this.skipSpaces();
    if (this.chars[this.i] !== ')') this.fail(this.i + 1, 'expected ")"');
    this.i++;
    return node;
  }

  private clause(): Clause {
    const start = this.i;
    let field = '';
    while (this.i < this.chars.length && LETTER.test(this.chars[this.i]!)) field += this.chars[this.i++];
    if (!field) this.fail(start + 1, 'expected a clause (field, operator, value) or "("');
    let key: string | undefined;
    if (field === 'metadata') {
      if (this.chars[this.i] !== '[') this.fail(this.i + 1, 'expected "[" after metadata (metadata["key"])');
      this.i++;
      if (this.chars[this.i] !== '"') this.fail(this.i + 1, 'expected a quoted key after "metadata["');
      key = this.quoted();
      if (this.chars[this.i] !== ']') this.fail(this.i + 1, 'expected "]" after the metadata key');
      this.i++;
    } else if (!TEXT_FIELD_SET.has(field) && !DATE_FIELD_SET.has(field)) {
      this.fail(start + 1, `unknown field "${field}"; expected one of ${FIELD_LIST}`);
    }
    const isDate = DATE_FIELD_SET.has(field);
    const opAt = this.i;
    const op = this.operator();
    const takes = isDate ? '":", ">", ">=", "<" or "<="' : '":" or "~"';
    if (!op) this.fail(opAt + 1, `expected ${takes} right after ${key === undefined ? `"${field}"` : 'metadata[…]'}`);
    if (isDate ? op === '~' : op !== ':' && op !== '~') this.fail(opAt + 1, `${key === undefined ? `"${field}"` : 'metadata[…]'} takes ${takes}`);
    const valueAt = this.i;
    const c = this.chars[this.i];
    if (c === undefined || SPACE.test(c) || c === '(' || c === ')') this.fail(valueAt + 1, `expected a value after "${op}"`);
    const value = c === '"' ? this.quoted() : this.bare();
    const after = this.chars[this.i];
    if (after !== undefined && !SPACE.test(after) && after !== ')') this.fail(this.i + 1, 'expected a space, ")" or the end of the query after the value');
    if (++this.clauses > QUERY_MAX_CLAUSES) this.fail(start + 1, `a query has at most ${QUERY_MAX_CLAUSES} clauses`);
    const position = start + 1;

    if (isDate) {
      const range = dateRange(value, op as DateOperator);
      if (!range) this.fail(valueAt + 1, 'expected an ISO 8601 date (2026-01-05) or date-time (2026-01-05T10:00:00Z)');
      return { kind: 'date', field: field as DateField, op: op as DateOperator, value, ...range, position };
    }
    const folded = field === 'phone' ? foldPhone(value) : foldText(value);
    if (op === '~' && charLength(folded) < CONTAINS_MIN_LENGTH) {
      this.fail(valueAt + 1, `"~" needs a value of at least ${CONTAINS_MIN_LENGTH} ${field === 'phone' ? 'digits' : 'characters'} after folding`);
    }
    if (key !== undefined) return { kind: 'metadata', key, op: op as TextOperator, value, folded, position };
    return { kind: 'text', field: field as TextField, op: op as TextOperator, value, folded, position };
  }

  private operator(): string | null {
    const c = this.chars[this.i];
    if ((c === '>' || c === '<') && this.chars[this.i + 1] === '=') {
      this.i += 2;
      return `${c}=`;
    }
    if (c === ':' || c === '~' || c === '>' || c === '<') {
      this.i++;
      return c;
    }
    return null;
  }

  /** A double-quoted string at the cursor; `\"` and `\\` are its only escapes. */
  private quoted(): string {
    const open = this.i;
    this.i++;
    let out = '';
    for (;;) {
      const c = this.chars[this.i];
      if (c === undefined) this.fail(open + 1, 'unterminated string: expected a closing "');
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '\\') {
        const next = this.chars[this.i + 1];
        if (next !== '"' && next !== '\\') this.fail(this.i + 1, 'expected \\" or \\\\ (the only escapes)');
        out += next;
        this.i += 2;
        continue;
      }
      out += c;
      this.i++;
    }
  }

  private bare(): string {
    let out = '';
    for (let c = this.chars[this.i]; c !== undefined && !SPACE.test(c) && c !== '(' && c !== ')' && c !== '"'; c = this.chars[++this.i]) out += c;
    return out;
  }

  /** AND or OR at the cursor (after spaces), as a whole word: followed by a space, "(" or the end. */
  private keywordAhead(): 'AND' | 'OR' | null {
    this.skipSpaces();
    for (const word of ['AND', 'OR'] as const) {
      if (word.split('').every((ch, k) => this.chars[this.i + k] === ch)) {
        const next = this.chars[this.i + word.length];
        if (next === undefined || SPACE.test(next) || next === '(') return word;
      }
    }
    return null;
  }

  private skipSpaces(): void {
    while (this.i < this.chars.length && SPACE.test(this.chars[this.i]!)) this.i++;
  }

  private fail(position: number, expected: string): never {
    throw new QuerySyntaxError(position, expected);
  }
}

const DAY_MS = 86_400_000;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms of a UTC calendar time, or null when a field is out of range (Feb 30, hour 24, …). */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCMonth() !== mo - 1) return null;
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/**
 * The range of instants a date clause covers, [from, to) in epoch ms. A date is its UTC day;
 * a date-time is one millisecond (finer digits are cut), UTC unless it names an offset.
 */
export function dateRange(value: string, op: DateOperator): { from: number | null; to: number | null } | null {
  const m = DATE_TIME.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const isDate = h === undefined;
  let start = utc(Number(y), Number(mo), Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), Number((frac ?? '0').padEnd(3, '0').slice(0, 3)));
  if (start === null) return null;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const hours = Number(digits.slice(0, 2));
    const minutes = Number(digits.slice(2));
    if (hours > 23 || minutes > 59) return null;
    start -= (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  const end = start + (isDate ? DAY_MS : 1);
  switch (op) {
    case ':':
      return { from: start, to: end };
    case '>':
      return { from: end, to: null };
    case '>=':
      return { from: start, to: null };
    case '<':
      return { from: null, to: start };
    case '<=':
      return { from: null, to: end };
  }
}

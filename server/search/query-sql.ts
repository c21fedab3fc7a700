import type { Clause, DateClause, QueryNode, TextField } from '../../client-sdk/src/query/index.js';
import { charLength } from '../../client-sdk/src/query/index.js';
import { AFTER_WATERMARK } from './sqlite-watermark.js';
import { ftsPhrase, likeContains, pgTrigramLike, pgTrigramText, type SearchDialect } from './word-index.js';

/**
 * Compiles a query's syntax tree to one SELECT of customer ids, with `?` parameters only (no
 * query text is ever spliced into the SQL). Each clause is a set found through an index, and the
 * tree is set algebra over them: AND → INTERSECT (a negated item → EXCEPT), OR → UNION, a lone
 * negation → every id EXCEPT the set. Set algebra is two-valued by construction: a clause on a
 * missing value (null column, absent key) is simply not in its set, so its negation holds.
 *
 * The indexes per clause (docs/architecture.md):
 * - `:` on text: email, id (unique indexes), country (its own index); the others through the
 *   trigram index (FTS5 on SQLite, GIN on PostgreSQL) and an exact check. On SQLite a value under
 *   3 characters has no trigram and is compared row by row.
 * - `~`: the trigram index (id and country have none: id~ is rare, country~ (3+ characters on a
 *   2-letter code) is never true but is still answered by a scan).
 * - metadata: the trigram index over the folded metadata JSON finds `"key":"value"` (or the key
 *   and the value), JSON functions check the exact key and value.
 * - created / updated: their (column, id) indexes.
 */
export class QuerySql {
  readonly params: unknown[] = [];
  private aliases = 0;

  constructor(readonly dialect: SearchDialect) {}

  /** The SELECT of the ids a node matches. */
  ids(node: QueryNode): string {
    switch (node.kind) {
      case 'and': {
        const positive = mergeDateRanges(node.items.filter((n) => n.kind !== 'not'));
        const negative = node.items.filter((n) => n.kind === 'not').map((n) => (n as { item: QueryNode }).item);
        const head = positive.length ? positive.map((n) => this.operand(this.ids(n))).join(' intersect ') : ALL_IDS;
        return [head, ...negative.map((n) => this.operand(this.ids(n)))].join(' except ');
      }
      case 'or':
        return node.items.map((n) => this.operand(this.ids(n))).join(' union ');
      case 'not':
        return `${ALL_IDS} except ${this.operand(this.ids(node.item))}`;
      default:
        return this.clause(node);
    }
  }

  /** One operand of a compound SELECT: SQLite allows no parentheses there, both allow a subquery in FROM. */
  operand(select: string): string {
    return `select id from (${select}) as s${++this.aliases}`;
  }

  bind(value: unknown): string {
    this.params.push(value);
    return '?';
  }

  /** A date bound as its column stores it: epoch ms on SQLite, a timestamptz on PostgreSQL. */
  bindDate(ms: number): string {
    return this.dialect === 'sqlite' ? this.bind(ms) : `cast(${this.bind(new Date(ms).toISOString())} as timestamptz)`;
  }

  /**
   * The same set as `ids(node)` as a condition on one customers row aliased `c`, for testing the
   * rows a walk of the created_at index meets (customer-search.ts) and for filtering a few rows
   * already found. No index serves it: it reads the row. Never null: a clause on a missing
   * value is false, so its negation holds, as in the set form.
   */
  matches(node: QueryNode): string {
    switch (node.kind) {
      case 'and':
        return `(${node.items.map((n) => this.matches(n)).join(' and ')})`;
      case 'or':
        return `(${node.items.map((n) => this.matches(n)).join(' or ')})`;
      case 'not':
        return `not ${this.matches(node.item)}`;
      default:
        return `coalesce(${this.rowClause(node)}, false)`;
    }
  }

  /** `column` (an expression over the row) contains `needle`, compared code point by code point. */
  contains(column: string, needle: string): string {
    return this.dialect === 'postgresql' ? `strpos(${column}, ${this.bind(needle)}) > 0` : `instr(${column}, ${this.bind(needle)}) > 0`;
  }

  /** PostgreSQL: `column` contains `needle`, through the GIN trigram index (word-index.ts, pgTrigramLike). */
  trigramContains(column: string, needle: string): string {
    const pattern = likeContains(needle);
    return pgTrigramLike(column, () => this.bind(pattern));
  }

  /** PostgreSQL: `column` equals `value`: the rows whose indexed text contains it (the GIN index), then the column compared. */
  private trigramEquals(column: string, value: string): string {
    return `(${pgTrigramText(column)} like ${this.bind(likeContains(value))} and ${column} = ${this.bind(value)})`;
  }

  /**
   * Whether a node is only trigram lookups joined by AND/OR (`~` on trigram columns; on PostgreSQL
   * also `:` on them, 3+ characters): then `ftsQuery` / `trigramWhere` give it as one FTS5 query /
   * one WHERE, which the index answers by merging posting lists (a GIN bitmap AND/OR) instead of
   * materialising a set per clause and intersecting them.
   */
  trigramOnly(node: QueryNode): boolean {
    if (node.kind === 'and' || node.kind === 'or') return node.items.every((n) => this.trigramOnly(n));
    if (node.kind !== 'text' || !TRIGRAM_INDEXED.has(node.field) || charLength(node.folded) < 3) return false;
    return node.op === '~' || (this.dialect === 'postgresql' && node.field !== 'email');
  }

  /** A `trigramOnly` node as FTS5 query text (bound by the caller as one parameter). */
  ftsQuery(node: QueryNode): string {
    if (node.kind === 'and' || node.kind === 'or') return `(${node.items.map((n) => this.ftsQuery(n)).join(node.kind === 'and' ? ' AND ' : ' OR ')})`;
    if (node.kind !== 'text') throw new Error('ftsQuery: not a trigram-only node');
    return `${COLUMN[node.field]} : ${ftsPhrase(node.folded)}`;
  }

  /** A `trigramOnly` node as a condition on customers (unaliased), for PostgreSQL's GIN index. */
  trigramWhere(node: QueryNode): string {
    if (node.kind === 'and' || node.kind === 'or') return `(${node.items.map((n) => this.trigramWhere(n)).join(` ${node.kind} `)})`;
    if (node.kind !== 'text') throw new Error('trigramWhere: not a trigram-only node');
    const column = COLUMN[node.field];
    return node.op === '~' ? this.trigramContains(column, node.folded) : this.trigramEquals(column, node.folded);
  }

  /**
   * The ids whose FTS5 row matches an FTS5 query (SQLite), and the new customers FTS5 does not
   * hold yet (after the watermark, see search/search-indexer.ts) for which `pending` holds: the same
   * test as a condition on the row `c`, called after the match is bound (parameters bind in order).
   */
  fts(match: string, pending: () => string): string {
    const indexed = `select rowid as id from customers_search where customers_search match ${this.bind(match)}`;
    return `${indexed} union all ${PENDING_ROWS} where ${pending()}`;
  }

  private clause(c: Clause): string {
    if (c.kind === 'date') {
      const column = c.field === 'created' ? 'created_at' : 'updated_at';
      const where = [c.from === null ? null : `${column} >= ${this.bindDate(c.from)}`, c.to === null ? null : `${column} < ${this.bindDate(c.to)}`];
      return `select id from customers where ${where.filter(Boolean).join(' and ')}`;
    }
    if (c.kind === 'metadata') return this.metadata(c.key, c.op, c.folded);
    const column = COLUMN[c.field];
    const trigram = TRIGRAM_INDEXED.has(c.field);
    if (c.op === ':') {
      if (!trigram || c.field === 'email') return `select id from customers where ${column} = ${this.bind(c.folded)}`;
      if (this.dialect === 'postgresql') return `select id from customers where ${this.trigramEquals(column, c.folded)}`;
      if (charLength(c.folded) < 3) return `select id from customers where ${column} = ${this.bind(c.folded)}`;
      const found = this.fts(`${column} : ${ftsPhrase(c.folded)}`, () => this.rowClause(c));
      return `select c.id from (${found}) as f cross join customers c on c.id = f.id where c.${column} = ${this.bind(c.folded)}`;
    }
    if (!trigram) {
      return this.dialect === 'postgresql'
        ? `select id from customers where strpos(${column}, ${this.bind(c.folded)}) > 0`
        : `select id from customers where instr(${column}, ${this.bind(c.folded)}) > 0`;
    }
    if (this.dialect === 'postgresql') return `select id from customers where ${this.trigramContains(column, c.folded)}`;
    return this.fts(`${column} : ${ftsPhrase(c.folded)}`, () => this.rowClause(c));
  }

  /** One clause as a condition on the row `c` (the set form's exact checks, without its index step). */
  private rowClause(c: Clause): string {
    if (c.kind === 'date') {
      const column = `c.${c.field === 'created' ? 'created_at' : 'updated_at'}`;
      const where = [c.from === null ? null : `${column} >= ${this.bindDate(c.from)}`, c.to === null ? null : `${column} < ${this.bindDate(c.to)}`];
      return `(${where.filter(Boolean).join(' and ') || 'true'})`;
    }
    if (c.kind === 'metadata') {
      if (this.dialect === 'postgresql') {
        const value = `(c.metadata_fold::jsonb ->> ${this.bind(c.key)})`;
        return c.op === ':' ? `${value} = ${this.bind(c.folded)}` : this.contains(value, c.folded);
      }
      const text = `exists (select 1 from json_each(c.metadata_fold) as j where j.key = ${this.bind(c.key)} and j.type = 'text' and `;
      return `${text}${c.op === ':' ? `j.value = ${this.bind(c.folded)}` : this.contains('j.value', c.folded)})`;
    }
    const column = `c.${COLUMN[c.field]}`;
    return c.op === ':' ? `${column} = ${this.bind(c.folded)}` : this.contains(column, c.folded);
  }

  private metadata(key: string, op: ':' | '~', folded: string): string {
    // The stored JSON is JSON.stringify's (search-keys.ts): these are substrings of it exactly.
    const keyText = `${JSON.stringify(key)}:`;
    const needles = op === ':' ? [`${keyText}${JSON.stringify(folded)}`] : [keyText, JSON.stringify(folded).slice(1, -1)];
    // Parameters are bound in the order their `?` appear: build the text left to right.
    if (this.dialect === 'postgresql') {
      let text = `select id from customers where ${needles.map((n) => `metadata_fold like ${this.bind(likeContains(n))}`).join(' and ')}`;
      text += ` and ${op === ':' ? '' : 'strpos('}(metadata_fold::jsonb ->> ${this.bind(key)})`;
      return text + (op === ':' ? ` = ${this.bind(folded)}` : `, ${this.bind(folded)}) > 0`);
    }
    const candidates = this.fts(needles.map((n) => `metadata_fold : ${ftsPhrase(n)}`).join(' AND '), () =>
      needles.map((n) => this.contains('c.metadata_fold', n)).join(' and '),
    );
    // json_each's key is the key unescaped; the FTS match only narrowed the rows.
    let text = `select c.id from (${candidates}) as f cross join customers c on c.id = f.id `;
    text += `where exists (select 1 from json_each(c.metadata_fold) as j where j.key = ${this.bind(key)} and j.type = 'text' and `;
    return text + (op === ':' ? `j.value = ${this.bind(folded)})` : `instr(j.value, ${this.bind(folded)}) > 0)`);
  }
}

/**
 * The date clauses of one AND on the same field as one range (the latest `from`, the earliest
 * `to`): `created>=A created<B` is then one walk of [A, B) on the (created_at, id) index instead
 * of two sets intersected, one of which can be most of the table. Same rows: an intersection of
 * half-open ranges is the range between the greatest start and the least end.
 */
function mergeDateRanges(items: QueryNode[]): QueryNode[] {
  const merged = new Map<DateClause['field'], DateClause>();
  const out: QueryNode[] = [];
  for (const item of items) {
    if (item.kind !== 'date') {
      out.push(item);
      continue;
    }
    const seen = merged.get(item.field);
    if (!seen) {
      const copy = { ...item };
      merged.set(item.field, copy);
      out.push(copy);
      continue;
    }
    if (item.from !== null) seen.from = seen.from === null ? item.from : Math.max(seen.from, item.from);
    if (item.to !== null) seen.to = seen.to === null ? item.to : Math.min(seen.to, item.to);
  }
  return out;
}

/**
 * The FROM clause of the new customers the search indexer has not reached yet, as rows `c`: a
 * batch of recent creates at most. SQLite: the customers after the watermark (sqlite-watermark.ts).
 * PostgreSQL: the queue (search_pending `p`), planned from statistics.
 */
export const fromPending = (dialect: SearchDialect) =>
  dialect === 'sqlite' ? AFTER_WATERMARK : 'from search_pending p join customers c on c.id = p.customer_id';

/** The new customers FTS5 does not hold yet, as rows `c` to test (SQLite). */
const PENDING_ROWS = `select c.id ${fromPending('sqlite')}`;

/** Every customer id (a negation's universe): a walk of the smallest index. */
export const ALL_IDS = 'select id from customers';

const COLUMN: Record<TextField, string> = {
  id: 'public_id',
  email: 'email',
  firstName: 'first_name_fold',
  lastName: 'last_name_fold',
  name: 'name_fold',
  phone: 'phone_fold',
  company: 'company_fold',
  city: 'city_fold',
  country: 'country_fold',
};
/** Fields in the trigram index (the FTS5 table's columns; the GIN index's). */
const TRIGRAM_INDEXED = new Set<TextField>(['email', 'firstName', 'lastName', 'name', 'phone', 'company', 'city']);

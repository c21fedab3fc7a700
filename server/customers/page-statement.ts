import { CUSTOMER_COLUMNS } from './customer.mapper.js';

export type Dialect = 'sqlite' | 'postgres';
export type SortColumn = 'createdAt' | 'updatedAt' | 'email' | 'lastNameKey';

/** One page's filter and order, as `CustomersService` plans it (the same plan the ORM path runs). */
export interface PagePlan {
  column: SortColumn;
  descending: boolean;
  /** The lower-cased search term, or null. */
  q: string | null;
  /** Exclusive upper bound of the SQLite prefix range; undefined when the prefix has none. */
  qUpper?: string;
  /** The position after the cursor: the sort key (epoch ms for dates on SQLite, a Date on PostgreSQL) and the row id. */
  after?: { value: string | number | Date; id: number };
}

export interface PageStatement {
  sql: string;
  params: (string | number | Date)[];
}

const COLUMN_NAME: Record<SortColumn, string> = {
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  email: 'email',
  lastNameKey: 'last_name_key',
};
const SEARCHED = ['email', 'first_name_key', 'last_name_key'];

/** A LIKE pattern matching strings that start with `prefix`, its own `\\ % _` taken literally. */
export const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

/** SQL text by page shape: a few dozen shapes at most (sort × search × cursor), built once each. */
const texts = new Map<string, string>();

/**
 * A page of customers as one parameterised SELECT, for the read lane (customer-reads.ts on db/read-lane.ts) to
 * prepare once per shape: the query MikroORM's query builder would build for the same plan
 * (CustomersService.listThroughOrm is the reference; test/list-lane.test.ts compares them), without
 * building, compiling and re-preparing it on every page (profiled: ~500 µs of a 1 ms page).
 */
export function pageStatement(dialect: Dialect, plan: PagePlan, limit: number): PageStatement {
  // In the order buildText numbers its placeholders.
  const params: (string | number | Date)[] = [];
  if (plan.q !== null) {
    if (dialect === 'postgres') params.push(likePrefix(plan.q));
    else params.push(plan.q, ...(plan.qUpper === undefined ? [] : [plan.qUpper]));
  }
  if (plan.after) params.push(plan.after.value, plan.after.id);
  params.push(limit);
  const shape = `${dialect}|${plan.column}|${plan.descending}|${plan.q === null ? '' : plan.qUpper === undefined ? 'q' : 'qr'}|${plan.after ? 'c' : ''}`;
  let sql = texts.get(shape);
  if (sql === undefined) {
    sql = buildText(dialect, plan);
    texts.set(shape, sql);
  }
  return { sql, params };
}

function buildText(dialect: Dialect, plan: PagePlan): string {
  // Numbered placeholders (`?1` on SQLite, `$1` on PostgreSQL), so a value used twice is bound once.
  let n = 0;
  const p = () => (dialect === 'postgres' ? `$${++n}` : `?${++n}`);
  const where: string[] = [];
  if (plan.q !== null) {
    if (dialect === 'postgres') {
      const term = p();
      where.push(`(${SEARCHED.map((c) => `${c} like ${term}`).join(' or ')})`);
    } else {
      const lower = p();
      const upper = plan.qUpper === undefined ? null : p();
      where.push(`(${SEARCHED.map((c) => (upper ? `(${c} >= ${lower} and ${c} < ${upper})` : `${c} >= ${lower}`)).join(' or ')})`);
    }
  }
  const column = COLUMN_NAME[plan.column];
  const direction = plan.descending ? 'desc' : 'asc';
  if (plan.after) {
    // key >= v bounds the index range; the tie on equal keys is broken by id.
    const [reach, beyond] = plan.descending ? ['<=', '<'] : ['>=', '>'];
    const value = p();
    where.push(`${column} ${reach} ${value}`, `(${column} ${beyond} ${value} or id ${beyond} ${p()})`);
  }
  const order = plan.column === 'email' ? `email ${direction}` : `${column} ${direction}, id ${direction}`;
  return `select ${CUSTOMER_COLUMNS.join(', ')} from "customers"${where.length ? ` where ${where.join(' and ')}` : ''} order by ${order} limit ${p()}`;
}

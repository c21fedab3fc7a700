import type { EntityManager } from '@mikro-orm/knex';
import type { QueryNode } from '../../client-sdk/src/query/index.js';
import { charLength, matchFreeText, TYPO_MIN_LENGTH, words } from '../../client-sdk/src/query/index.js';
import type { CustomerSearchPage, CustomerSearchQuery } from '../../client-sdk/src/schemas/search.js';
import type { CursorCodec } from '../customers/cursor.js';
import { CUSTOMER_COLUMNS, type CustomerRow, customerFromRow } from '../customers/customer.mapper.js';
import { type IndexPosition, type WalkedRow, walkNewest } from './index-walk.js';
import { parseOrReject } from './query-filter.js';
import { ALL_IDS, fromPending, QuerySql } from './query-sql.js';
import { wordsOf } from './search-keys.js';
import { oneEdits, typoLetters } from './typo-candidates.js';
import { dialectOf, ftsPhrase, type SearchDialect } from './word-index.js';

type Rank = 0 | 1;
type RankedRow = CustomerRow & { search_rank: number | string };
/** A page's position: rank, created (epoch ms), public id. */
type Position = { rank: number; createdAt: number; publicId: string };

/** One statement the search ran (for the plan test and the bench, which EXPLAIN them). */
export interface SearchStatement {
  kind: 'typos' | 'walk' | 'sort' | 'fetch';
  text: string;
  params: unknown[];
}

export interface CustomerSearchOptions {
  /**
   * Rows of customers_created_at_id_index one class of a page may walk (SEARCH_WALK_ROWS) before
   * the search sorts that class's whole match set instead; 0 never walks.
   */
  walkRows?: number;
  /** Called with each statement before it runs (and awaited). */
  onStatement?: (statement: SearchStatement) => void | Promise<void>;
}

/** The default walk budget: at ~4 µs a row read on SQLite (docs/performance.md), under 20 ms. */
export const DEFAULT_WALK_ROWS = 4000;
/** The first read of a walk: enough rows to estimate the set's density, and an eighth of the budget at most (room to go on). */
const FIRST_READ = 256;

/** A search's parts, before any page is read. */
interface Plan {
  dialect: SearchDialect;
  query: QueryNode | undefined;
  /** The distinct q words, and per word the dictionary words within one edit of it (not prefixed by it). */
  words: string[];
  typos: string[][];
  /** Rank 0: every q word matched by prefix; rank 1: some word needed an edit (only when a typo word exists). */
  ranks: Rank[];
}

/**
 * `customers.search`: one page of the customers the query and q match, in order — rank (q: every
 * word matched by prefix → 0, some word needed an edit → 1), created descending, public id
 * descending — after the cursor's position. The order is a total order over values a customer
 * keeps while unchanged, so a walk returns each customer that matched before it began and was not
 * changed during it exactly once (keyset paging).
 *
 * Each rank's part of the page comes one of two ways (docs/architecture.md, "Search"):
 * - walk: read customers_created_at_id_index newest first from the position and test each row
 *   (index-walk.ts): about limit × d rows for a set holding one customer in d, whatever its size;
 * - sort: find the set's ids through the trigram/typo indexes (query-sql.ts), read and sort them:
 *   proportional to the set's size.
 * The walk is tried first; its first read estimates the density, and a set too sparse for the
 * budget (SEARCH_WALK_ROWS) is sorted instead.
 */
export class CustomerSearch {
  private readonly walkRows: number;

  constructor(
    private readonly em: () => EntityManager,
    private readonly cursors: CursorCodec,
    private readonly options: CustomerSearchOptions = {},
  ) {
    this.walkRows = options.walkRows ?? DEFAULT_WALK_ROWS;
  }

  async search(input: CustomerSearchQuery): Promise<CustomerSearchPage> {
    const tie = JSON.stringify([input.query ?? null, input.q ?? null]);
    // The query is parsed (and its limits enforced) before any database work.
    const query = input.query === undefined ? undefined : parseOrReject(input.query);
    const after = input.cursor === undefined ? null : this.cursors.decodeTied(input.cursor, tie);
    const em = this.em();
    const plan = await this.plan(em, query, input.q);
    const position = after === null ? null : { rank: Number(after[0]), createdAt: Number(after[1]), publicId: String(after[2]) };
    const need = input.limit + 1;
    const rows: RankedRow[] = [];
    for (const rank of plan.ranks) {
      if (position && position.rank > rank) continue;
      const from = position && position.rank === rank ? position : null;
      rows.push(...(await this.rankPage(em, plan, rank, from, need - rows.length)));
      if (rows.length >= need) break;
    }
    const page = rows.slice(0, input.limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > input.limit && last ? this.cursors.encodeTied(tie, [Number(last.search_rank), new Date(last.created_at).getTime(), last.public_id]) : null;
    return { items: page.map(customerFromRow), nextCursor };
  }

  /** The SELECT of every id the search matches (all ranks), for the bench's count. */
  async matchedStatement(input: CustomerSearchQuery): Promise<{ text: string; params: unknown[] }> {
    const em = this.em();
    const plan = await this.plan(em, input.query === undefined ? undefined : parseOrReject(input.query), input.q);
    const sql = new QuerySql(plan.dialect);
    return { text: this.rankSet(sql, plan, plan.ranks.length > 1 ? 'any' : 0), params: sql.params };
  }

  private async plan(em: EntityManager, query: QueryNode | undefined, q: string | undefined): Promise<Plan> {
    const qWords = q === undefined ? [] : [...new Set(words(q))];
    const typing = qWords.some((w) => charLength(w) >= TYPO_MIN_LENGTH);
    const fresh = typing ? await this.pendingWords(em) : [];
    const alphabet = typing ? await this.alphabet(em) : [];
    const typos = await Promise.all(qWords.map((w) => this.typoWords(em, w, alphabet, fresh)));
    return { dialect: dialectOf(em), query, words: qWords, typos, ranks: typos.some((t) => t.length > 0) ? [0, 1] : [0] };
  }

  /** Up to `need` rows of one rank after `from` (null: from the rank's start), in page order. */
  private async rankPage(em: EntityManager, plan: Plan, rank: Rank, from: Position | null, need: number): Promise<RankedRow[]> {
    if (this.walkRows > 0) {
      const hits = await walkNewest({
        need,
        budget: this.walkRows,
        firstRead: Math.min(FIRST_READ, Math.ceil(this.walkRows / 8)),
        after: from,
        read: (at, rows) => this.walkRead(em, plan, rank, from, at, rows),
      });
      if (hits) {
        const rows = await this.fetch(em, plan.dialect, hits, rank);
        // A hit deleted since the walk read it: the page would come up short and end the walk
        // early. Sorting answers in one statement, consistent with itself.
        if (rows.length === hits.length) return rows;
      }
    }
    return this.sorted(em, plan, rank, from, need);
  }

  /** The walk's read: the next rows of the (created_at, id) index, newest first, each tested for the rank's set. */
  private walkRead(em: EntityManager, plan: Plan, rank: Rank, from: Position | null, at: IndexPosition | null, rows: number): Promise<WalkedRow[]> {
    const sql = new QuerySql(plan.dialect);
    let text = `select c.id, c.created_at, c.public_id, case when ${this.rankCondition(sql, plan, rank)} then 1 else 0 end as hit from customers c`;
    if (at) text += ` where (c.created_at, c.id) < (${sql.bindDate(at.createdAt)}, ${sql.bind(at.id)})`;
    else if (from) text += ` where c.created_at <= ${sql.bindDate(from.createdAt)}`;
    text += ` order by c.created_at desc, c.id desc limit ${sql.bind(rows)}`;
    return this.run<WalkedRow[]>(em, 'walk', text, sql.params);
  }

  /** The customers the walk found, in its order (a row deleted meanwhile is missing). */
  private async fetch(em: EntityManager, dialect: SearchDialect, hits: { id: number | string }[], rank: Rank): Promise<RankedRow[]> {
    if (hits.length === 0) return [];
    const sql = new QuerySql(dialect);
    const columns = CUSTOMER_COLUMNS.map((c) => `c.${c}`).join(', ');
    const text = `select ${columns}, ${rank} as search_rank from customers c where c.id in (${hits.map((h) => sql.bind(h.id)).join(', ')})`;
    const byId = new Map((await this.run<RankedRow[]>(em, 'fetch', text, sql.params)).map((r) => [String(r.id), r]));
    return hits.map((h) => byId.get(String(h.id))).filter((r): r is RankedRow => r !== undefined);
  }

  /** One rank's set found through the indexes, read, sorted, and cut at `need`. */
  private sorted(em: EntityManager, plan: Plan, rank: Rank, from: Position | null, need: number): Promise<RankedRow[]> {
    const { dialect } = plan;
    const sql = new QuerySql(dialect);
    // The tie-break is the public id (the id clients see), compared by code point on both databases.
    const collate = dialect === 'postgresql' ? ' collate "C"' : '';
    // SQLite: `+` keeps the planner from walking the created_at index and probing the set row by
    // row without a bound (a scan of every customer for a sparse set); it sorts the matches.
    const plus = dialect === 'sqlite' ? '+' : '';
    const columns = CUSTOMER_COLUMNS.map((c) => `c.${c}`).join(', ');
    const set = this.rankSet(sql, plan, rank === 0 ? 0 : 'any');
    // PostgreSQL: the ids as an array, computed once (an InitPlan), then fetched by primary key.
    // With `in (…)` the planner guesses the set algebra's size (often as most of the table) and
    // hash-joins it against a sequential scan of every customer: 1M rows read for 679 matches.
    let text = `select ${columns}, ${rank} as search_rank from customers c where ${dialect === 'postgresql' ? `c.id = any(array(${set}))` : `c.id in (${set})`}`;
    // Rank 1 is the set with typos less rank 0's customers: tested on the few rows found.
    if (rank === 1) text += ` and not (${this.prefixAll(sql, plan)})`;
    if (from) {
      // Template parts are evaluated left to right: each `?` is bound where it appears.
      text +=
        ` and (${plus}c.created_at < ${sql.bindDate(from.createdAt)}` +
        ` or (${plus}c.created_at = ${sql.bindDate(from.createdAt)} and c.public_id${collate} < ${sql.bind(from.publicId)}))`;
    }
    text += ` order by ${plus}c.created_at desc, ${plus}c.public_id${collate} desc limit ${sql.bind(need)}`;
    return this.run<RankedRow[]>(em, 'sort', text, sql.params);
  }

  /** A rank's condition on one row `c`: the query, and every q word by prefix (0) or some word only within one edit (1). */
  private rankCondition(sql: QuerySql, plan: Plan, rank: Rank): string {
    const parts = plan.query === undefined ? [] : [sql.matches(plan.query)];
    if (plan.words.length === 0) return parts.join(' and ') || 'true';
    if (rank === 0) return [...parts, this.prefixAll(sql, plan)].join(' and ');
    const each = plan.words.map((w, k) => `(${[this.prefixRow(sql, w), ...plan.typos[k]!.map((t) => sql.contains('c.search_words', ` ${t} `))].join(' or ')})`);
    return [...parts, ...each, `not (${this.prefixAll(sql, plan)})`].join(' and ');
  }

  private prefixAll(sql: QuerySql, plan: Plan): string {
    return plan.words.map((w) => this.prefixRow(sql, w)).join(' and ');
  }

  /** A word of the row starts with `word`: ` word` is a substring of search_words. */
  private prefixRow(sql: QuerySql, word: string): string {
    return sql.contains('c.search_words', ` ${word}`);
  }

  /**
   * The ids of rank 0 (the query, every q word by prefix) or of any rank (each word by prefix or
   * as one of its typo words), through the indexes. On SQLite the q words are one FTS5 query
   * (AND of the words, OR of a word's prefix and typo words), which FTS5 answers by merging
   * posting lists: two dense words with few customers in common cost their lists, not two sets
   * materialised and intersected. On PostgreSQL one WHERE, which the GIN index answers with a
   * bitmap AND. A query of trigram lookups only (`~` clauses and their AND/OR) joins that one
   * lookup. A one-letter word has no trigram and is compared row by row.
   */
  private rankSet(sql: QuerySql, plan: Plan, rank: 0 | 'any'): string {
    const sets: string[] = [];
    // A query of trigram lookups only joins the words' lookup (company~bletchley q=hoper: one FTS5 query).
    const joined = plan.query !== undefined && sql.trigramOnly(plan.query) ? plan.query : undefined;
    if (plan.query !== undefined && joined === undefined) sets.push(sql.ids(plan.query));
    const alternatives = plan.words.map((w, k) => ({
      prefix: ` ${w}`,
      typos: rank === 'any' ? plan.typos[k]!.map((t) => ` ${t} `) : [],
      short: charLength(w) < 2,
    }));
    if (sql.dialect === 'postgresql') {
      const where = joined === undefined ? [] : [sql.trigramWhere(joined)];
      for (const a of alternatives) {
        where.push(
          a.short
            ? `strpos(search_words, ${sql.bind(a.prefix)}) > 0`
            : `(${[a.prefix, ...a.typos].map((n) => sql.trigramContains('search_words', n)).join(' or ')})`,
        );
      }
      if (where.length) sets.push(`select id from customers where ${where.join(' and ')}`);
    } else {
      for (const a of alternatives.filter((x) => x.short)) sets.push(`select id from customers where instr(search_words, ${sql.bind(a.prefix)}) > 0`);
      const terms = joined === undefined ? [] : [sql.ftsQuery(joined)];
      for (const a of alternatives.filter((x) => !x.short)) terms.push(`(${[a.prefix, ...a.typos].map((n) => `search_words : ${ftsPhrase(n)}`).join(' OR ')})`);
      const long = alternatives.filter((x) => !x.short);
      // The same test on the rows FTS5 does not hold yet: each word's prefix or typo words as substrings.
      const pending = () =>
        [
          ...(joined === undefined ? [] : [sql.matches(joined)]),
          ...long.map((a) => `(${[a.prefix, ...a.typos].map((n) => sql.contains('c.search_words', n)).join(' or ')})`),
        ].join(' and ');
      if (terms.length) sets.push(sql.fts(terms.join(' AND '), pending));
    }
    // No query and no q word (`q=!!!`): every customer.
    if (sets.length === 0) return ALL_IDS;
    return sets.length === 1 ? sets[0]! : sets.map((s) => sql.operand(s)).join(' intersect ');
  }

  /**
   * The customer words within one edit of `word` (5+ characters) that it is not a prefix of:
   * the word's one-edit strings over the dictionary's alphabet (typo-candidates.ts) looked up in
   * the dictionary of distinct words (search_words), plus `fresh`, the words of new customers the
   * dictionary does not hold yet; each candidate checked by optimal string alignment distance here.
   */
  private async typoWords(em: EntityManager, word: string, alphabet: readonly string[], fresh: readonly string[]): Promise<string[]> {
    if (charLength(word) < TYPO_MIN_LENGTH) return [];
    const probes = oneEdits(word, typoLetters(word, alphabet));
    // The probes drive (one primary-key lookup each), never a scan of the dictionary.
    const rows = await this.run<{ word: string }[]>(
      em,
      'typos',
      dialectOf(em) === 'postgresql'
        ? 'select word from search_words where word = any(array(select json_array_elements_text(cast(? as json))))'
        : 'select s.word from json_each(?) as j cross join search_words s on s.word = j.value',
      [JSON.stringify(probes)],
    );
    const candidates = new Set([...rows.map((r) => r.word), ...fresh]);
    return [...candidates].filter((w) => matchFreeText(word, w) === 'typo');
  }

  /** The characters the dictionary's words use (a few dozen for most databases). */
  private async alphabet(em: EntityManager): Promise<string[]> {
    return (await this.run<{ ch: string }[]>(em, 'typos', 'select ch from search_alphabet', [])).map((r) => r.ch);
  }

  /**
   * The distinct words of the customers waiting for the search indexer (search-indexer.ts): the
   * dictionary has not got them yet. A batch of recent creates at most.
   */
  private async pendingWords(em: EntityManager): Promise<string[]> {
    const rows = await this.run<{ search_words: string }[]>(em, 'typos', `select c.search_words ${fromPending(dialectOf(em))}`, []);
    return [...new Set(rows.flatMap((r) => wordsOf(r.search_words)))];
  }

  private async run<T>(em: EntityManager, kind: SearchStatement['kind'], text: string, params: unknown[]): Promise<T> {
    await this.options.onStatement?.({ kind, text, params });
    return (await em.execute(text, params)) as unknown as T;
  }
}

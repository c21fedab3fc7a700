import type { EntityManager } from '@mikro-orm/knex';
import { charLength, matchFreeText, oneDeletions, TYPO_MIN_LENGTH, words } from '../../client-sdk/src/query/index.js';
import type { CustomerSearchPage, CustomerSearchQuery } from '../../client-sdk/src/schemas/search.js';
import type { CursorCodec } from '../customers/cursor.js';
import { CUSTOMER_COLUMNS, type CustomerRow, customerFromRow } from '../customers/customer.mapper.js';
import { parseOrReject } from './query-filter.js';
import { ALL_IDS, QuerySql } from './query-sql.js';
import { dialectOf, ftsPhrase, likeContains } from './word-index.js';

type RankedRow = CustomerRow & { search_rank: number | string };

/**
 * `customers.search`: the ids the query and q match (query-sql.ts; the q words below), then one
 * page of them in order — rank (q: every word matched by prefix → 0, some word needed an edit →
 * 1), created descending, public id descending — after the cursor's position. The order is a total
 * order over values a customer keeps while unchanged, so a walk returns each customer that
 * matched before it began and was not changed during it exactly once (keyset paging).
 */
export class CustomerSearch {
  constructor(
    private readonly em: () => EntityManager,
    private readonly cursors: CursorCodec,
  ) {}

  async search(input: CustomerSearchQuery): Promise<CustomerSearchPage> {
    const { text, params, tie } = await this.statement(input);
    const rows = await this.em().execute<RankedRow[]>(text, params);
    const page = rows.slice(0, input.limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > input.limit && last ? this.cursors.encodeTied(tie, [Number(last.search_rank), new Date(last.created_at).getTime(), last.public_id]) : null;
    return { items: page.map(customerFromRow), nextCursor };
  }

  /** The page's SELECT (`?` parameters) and the walk's identity; test/search-plan.test.ts explains it. */
  async statement(input: CustomerSearchQuery): Promise<{ text: string; params: unknown[]; tie: string }> {
    const em = this.em();
    const dialect = dialectOf(em);
    const sql = new QuerySql(dialect);
    const tie = JSON.stringify([input.query ?? null, input.q ?? null]);
    const after = input.cursor === undefined ? null : this.cursors.decodeTied(input.cursor, tie);
    const qWords = input.q === undefined ? [] : [...new Set(words(input.q))];
    const typos = await Promise.all(qWords.map((w) => this.typoWords(em, w)));
    const anyTypo = typos.some((t) => t.length > 0);
    // Parameters are bound in the order their `?` appear in the text: the rank (select list) first.
    const rankSql = anyTypo ? this.rankExpression(sql, qWords) : '0';
    const sets: string[] = [];
    if (input.query !== undefined) sets.push(sql.ids(parseOrReject(input.query)));
    qWords.forEach((word, k) => {
      const prefix = this.prefixIds(sql, word);
      sets.push(typos[k]!.length ? `${sql.operand(prefix)} union ${sql.operand(this.wholeWordIds(sql, typos[k]!))}` : prefix);
    });
    const matched = sets.length ? sets.map((s) => sql.operand(s)).join(' intersect ') : ALL_IDS;

    // The tie-break is the public id (the id clients see), compared by code point on both databases.
    const collate = dialect === 'postgresql' ? ' collate "C"' : '';
    // SQLite: `+` keeps the planner from walking the created_at index and probing the match set
    // row by row (a scan of every customer for a selective query); it sorts the matches instead.
    const plus = dialect === 'sqlite' ? '+' : '';
    const columns = CUSTOMER_COLUMNS.map((c) => `c.${c}`).join(', ');
    // PostgreSQL: the matched ids as an array, computed once (an InitPlan), then fetched by primary
    // key. With `in (…)` the planner guesses the set algebra's size (often as most of the table)
    // and hash-joins it against a sequential scan of every customer: 1M rows read for 679 matches.
    const where = dialect === 'postgresql' ? `c.id = any(array(${matched}))` : `c.id in (${matched})`;
    let text = `select * from (select ${columns}, ${rankSql} as search_rank from customers c where ${where}) as r`;
    if (after) {
      const [rankAt, createdAt, id] = after as [number, number, string];
      // Template parts are evaluated left to right: each `?` is bound where it appears.
      text +=
        ` where (r.search_rank > ${sql.bind(rankAt)} or (r.search_rank = ${sql.bind(rankAt)} and (r.created_at < ${sql.bindDate(createdAt)}` +
        ` or (r.created_at = ${sql.bindDate(createdAt)} and r.public_id${collate} < ${sql.bind(id)}))))`;
    }
    text += ` order by r.search_rank, ${plus}r.created_at desc, ${plus}r.public_id${collate} desc limit ${sql.bind(input.limit + 1)}`;
    return { text, params: sql.params, tie };
  }

  /** The ids with a word starting with `word`: ` word` in search_words, through the trigram index (one character has no trigram: compared row by row). */
  private prefixIds(sql: QuerySql, word: string): string {
    if (charLength(word) < 2) {
      return sql.dialect === 'postgresql'
        ? `select id from customers where strpos(search_words, ${sql.bind(` ${word}`)}) > 0`
        : `select id from customers where instr(search_words, ${sql.bind(` ${word}`)}) > 0`;
    }
    if (sql.dialect === 'postgresql') return `select id from customers where search_words like ${sql.bind(likeContains(` ${word}`))}`;
    return sql.fts(`search_words : ${ftsPhrase(` ${word}`)}`);
  }

  /** The ids with one of `wordList` as a whole word (` word ` in search_words). */
  private wholeWordIds(sql: QuerySql, wordList: string[]): string {
    if (sql.dialect === 'postgresql') {
      return `select id from customers where ${wordList.map((w) => `search_words like ${sql.bind(likeContains(` ${w} `))}`).join(' or ')}`;
    }
    return sql.fts(wordList.map((w) => `search_words : ${ftsPhrase(` ${w} `)}`).join(' OR '));
  }

  /** 0 when every q word matched some word by prefix, else 1. */
  private rankExpression(sql: QuerySql, qWords: string[]): string {
    return `case when ${qWords.map((w) => `c.id in (${this.prefixIds(sql, w)})`).join(' and ')} then 0 else 1 end`;
  }

  /**
   * The dictionary words within one edit of `word` (5+ characters) that it is not a prefix of:
   * the word and its one-deletion variants looked up in search_words (symmetric delete), each
   * candidate checked by optimal string alignment distance here.
   */
  private async typoWords(em: EntityManager, word: string): Promise<string[]> {
    if (charLength(word) < TYPO_MIN_LENGTH) return [];
    const variants = [word, ...oneDeletions(word)];
    const rows = await em.execute<{ word: string }[]>(
      `select distinct word from search_words where variant in (${variants.map(() => '?').join(', ')})`,
      variants,
    );
    return rows.map((r) => r.word).filter((w) => matchFreeText(word, w) === 'typo');
  }
}

import type { Config } from '../config.js';

/** A statement a feature registers with the read lane (its text for the lane's dialect). */
export interface ReadStatement {
  /** PostgreSQL: the named statement's name (unique per text); SQLite ignores it. */
  name: string;
  sql: string;
  /** SQLite: the text numbers its placeholders (`?1`, `?2`), so values bind by number, not position. */
  numbered?: boolean;
}

/** A statement prepared once; each run binds `params` (a Date binds as stored: epoch ms on SQLite). */
export interface PreparedRead<Row> {
  readonly sql: string;
  one(params: readonly unknown[]): Row | null | Promise<Row | null>;
  all(params: readonly unknown[]): Row[] | Promise<Row[]>;
}

/**
 * The read lane: a connection of its own for the reads nearly every request makes, on statements
 * prepared once, off the ORM (profiled: MikroORM + knex spent ~400 µs building, preparing and
 * hydrating each one-row query). A mechanism only: each feature registers its statements and maps
 * its rows (customers/customer-reads.ts, auth/session-reads.ts, api-keys/api-key-reads.ts), and
 * test/read-lane.test.ts checks their answers against the ORM's on both dialects.
 * SQLite answers synchronously, PostgreSQL with a promise. open-read-lane.ts opens the configured one.
 */
export interface ReadLane {
  readonly dialect: Config['database']['kind'];
  /** Prepares `statement` (SQLite) or names it (PostgreSQL: parsed and planned once per connection). */
  prepare<Row>(statement: ReadStatement): PreparedRead<Row>;
  /** Statements run so far (a diagnostic: App.queryCount). */
  readonly queries: number;
  close(): void | Promise<void>;
}

/** `map` applied to a lane's answer, staying synchronous when the answer is (SQLite). */
export const mapRead = <T, U>(answer: T | Promise<T>, map: (value: T) => U): U | Promise<U> => (answer instanceof Promise ? answer.then(map) : map(answer));

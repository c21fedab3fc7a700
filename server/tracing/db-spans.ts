import type { MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection } from '@mikro-orm/knex';
import { type Attributes, context, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type { Config } from '../config.js';
import type { ReadLane } from '../db/read-lane.js';
import type { WriteLane, WriteStatement } from '../db/write-lane.js';
import { recordError } from './span-errors.js';

/**
 * A CLIENT span per SQL statement, with the statement's text as sent to the driver with `?`
 * placeholders: MikroORM builds every query with bound parameters, and the values are never
 * recorded. Statements run outside any span (migrations, housekeeping, health checks) get none:
 * a statement span means something only inside a request.
 */

/**
 * MikroORM's connection runs every statement through `execute(sql, params, …)` (queries, query
 * builders, flushes) and every transaction through `begin`/`commit`/`rollback`; those public
 * methods are wrapped on this ORM's connection instance. MikroORM's `onQuery` hook sees a
 * statement only before it runs, and its logger only after (with a whole-millisecond duration),
 * so neither can time a statement or see its error.
 */
export function instrumentOrm(tracer: Tracer, orm: MikroORM, database: Config['database']): void {
  const connection = orm.em.getConnection() as AbstractSqlConnection;
  const base = databaseAttributes(database);
  const execute = connection.execute.bind(connection);
  connection.execute = ((...args: Parameters<AbstractSqlConnection['execute']>) => {
    const [query] = args;
    const sql = typeof query === 'string' ? query : query.toSQL().sql;
    return inStatementSpan(tracer, sql, base, () => execute(...args));
  }) as AbstractSqlConnection['execute'];

  const begin = connection.begin.bind(connection);
  connection.begin = (...args) => inStatementSpan(tracer, args[0]?.ctx ? 'savepoint' : 'begin', base, () => begin(...args));
  const commit = connection.commit.bind(connection);
  connection.commit = (...args) => inStatementSpan(tracer, isSavepoint(args[0]) ? 'release savepoint' : 'commit', base, () => commit(...args));
  const rollback = connection.rollback.bind(connection);
  connection.rollback = (...args) => inStatementSpan(tracer, isSavepoint(args[0]) ? 'rollback to savepoint' : 'rollback', base, () => rollback(...args));
}

/**
 * The read lane's statements (db/read-lane.ts): `prepare` is wrapped on the instance, so every
 * statement a feature prepares after this runs in a span named after its text.
 */
export function instrumentReadLane(tracer: Tracer, lane: ReadLane, database: Config['database']): void {
  const base = { ...databaseAttributes(database), 'carly.db.lane': 'hot-read' };
  const prepare = lane.prepare.bind(lane);
  lane.prepare = <Row>(...args: Parameters<ReadLane['prepare']>) => {
    const statement = prepare<Row>(...args);
    const { sql } = statement;
    return {
      sql,
      one: (params) => inStatementSpan(tracer, sql, base, () => statement.one(params)),
      all: (params) => inStatementSpan(tracer, sql, base, () => statement.all(params)),
    };
  };
}

/** Statement spans for the write lane's statements (db/write-lane.ts), inside the write transaction's span like the ORM's. */
export function instrumentWriteLane(tracer: Tracer, lane: WriteLane, database: Config['database']): void {
  const base = { ...databaseAttributes(database), 'carly.db.lane': 'hot-write' };
  const text = (statement: WriteStatement) => (typeof statement.sql === 'string' ? statement.sql : statement.sql[database.kind]);
  const run = lane.run.bind(lane);
  const all = lane.all.bind(lane);
  lane.run = (em, statement, params) => inStatementSpan(tracer, text(statement), base, () => run(em, statement, params));
  lane.all = <Row>(...args: Parameters<WriteLane['all']>) => inStatementSpan(tracer, text(args[1]), base, () => all<Row>(...args));
}

/** Runs `run` (sync or async) inside a statement span when a span is active; as is otherwise. */
function inStatementSpan<T>(tracer: Tracer, sql: string, base: Attributes, run: () => T): T {
  const parent = context.active();
  if (!trace.getSpan(parent)) return run();
  const { operation, table } = summarise(sql);
  const span = tracer.startSpan(
    table ? `${operation} ${table}` : operation,
    {
      kind: SpanKind.CLIENT,
      attributes: { ...base, [ATTR_DB_QUERY_TEXT]: sql, [ATTR_DB_OPERATION_NAME]: operation, ...(table ? { [ATTR_DB_COLLECTION_NAME]: table } : {}) },
    },
    parent,
  );
  const fail = (err: unknown) => {
    recordError(span, err);
    span.end();
  };
  let result: T;
  try {
    result = run();
  } catch (err) {
    fail(err);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (err: unknown) => {
        fail(err);
        throw err;
      },
    ) as T;
  }
  span.end();
  return result;
}

const summaries = new Map<string, { operation: string; table: string | undefined }>();

/**
 * `SELECT customers` from `select … from "customers" where …`: the operation and the first table
 * it names, for a low-cardinality span name. Cached: an app runs a small set of distinct statements.
 */
export function summarise(sql: string): { operation: string; table: string | undefined } {
  let summary = summaries.get(sql);
  if (summary) return summary;
  const operation = (/^\s*(\w+)/.exec(sql)?.[1] ?? 'SQL').toUpperCase();
  const table = /\b(?:from|into|update|join)\s+[`"]?(\w+)[`"]?/i.exec(sql)?.[1];
  summary = { operation, table };
  if (summaries.size >= 1000) summaries.clear();
  summaries.set(sql, summary);
  return summary;
}

function databaseAttributes(database: Config['database']): Attributes {
  if (database.kind === 'sqlite') return { [ATTR_DB_SYSTEM_NAME]: 'sqlite' };
  // Host, port and database name only: never the URL, which may hold a password.
  const url = new URL(database.url);
  return {
    [ATTR_DB_SYSTEM_NAME]: 'postgresql',
    [ATTR_SERVER_ADDRESS]: url.hostname,
    [ATTR_SERVER_PORT]: Number(url.port || 5432),
    ...(url.pathname.length > 1 ? { [ATTR_DB_NAMESPACE]: decodeURIComponent(url.pathname.slice(1)) } : {}),
  };
}

const isSavepoint = (trx: unknown) => typeof trx === 'object' && trx !== null && 'savepointName' in trx;

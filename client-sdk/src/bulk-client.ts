import { CarlyError, type CarlyErrorCode, type FieldIssue } from './errors.js';
import { type ImportReport, ImportReportSchema } from './schemas/bulk.js';
import type { Customer, CustomerCreateInput } from './schemas/customer.js';

/** One NDJSON line of an export (the REST shape) as the SDK's Customer: timestamps become Dates. */
function customerOfLine(line: string): Customer {
  const c = JSON.parse(line) as Omit<Customer, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };
  return { ...c, createdAt: new Date(c.createdAt), updatedAt: new Date(c.updatedAt) };
}

/** `carly.customers.bulkExport` input. */
export interface BulkExportInput {
  /** Only customers matching this search query (the `customers.search` language); all when absent. */
  query?: string;
  /** The typed iterator reads NDJSON (the only format it takes); CSV is for spreadsheets, through REST. */
  format?: 'ndjson';
}

/** An export in progress: the event cursor of its snapshot, then its customers as they arrive. */
export interface BulkExport {
  /** Follow `events.list` / `events.iterate` from here (`after`) to see every later change exactly once; null while the log was empty. */
  eventsAfter: string | null;
  /** Every customer of the snapshot, parsed line by line as the stream arrives (dates as `Date`s). */
  customers: AsyncGenerator<Customer, void, undefined>;
}

/** A row for `carly.customers.bulkImport`: the create fields, optionally with the original `createdAt`. */
export type BulkImportRow = CustomerCreateInput & { createdAt?: string | Date | null };

export interface BulkCallOptions {
  signal?: AbortSignal;
  /** `bulkImport` only: makes a retry with the same rows return the first report instead of running again. */
  idempotencyKey?: string;
}

/** What the client lends the bulk calls: its fetch, its credential, and one refresh after a 401. */
export interface BulkTransport {
  base: string;
  fetch: typeof globalThis.fetch;
  headers: () => Promise<Record<string, string>>;
  /** After a 401 with `usedAuthorization`: refresh the tokens once; true when a retry may succeed. */
  refreshAfter: (usedAuthorization: string | undefined) => Promise<boolean>;
}

/** The server's `{ code, message, issues? }` answer as a CarlyError. */
async function errorOf(res: Response, procedure: string): Promise<CarlyError> {
  let body: { code?: string; message?: string; issues?: FieldIssue[] } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    /* not JSON: status only */
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return new CarlyError(body.message ?? `HTTP ${res.status}`, {
    code: (body.code ?? 'INTERNAL_SERVER_ERROR') as CarlyErrorCode,
    status: res.status,
    issues: body.issues ?? [],
    procedure,
    retryAfter: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    requestId: res.headers.get('x-request-id') ?? undefined,
  });
}

/** One request with the client's credential, refreshed and retried once after a 401 (when it holds tokens). */
async function send(t: BulkTransport, path: string, init: RequestInit & { duplex?: 'half' }, procedure: string, replayable: boolean): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const headers = { ...(await t.headers()), ...(init.headers as Record<string, string>) };
    let res: Response;
    try {
      res = await t.fetch(t.base + path, { ...init, headers });
    } catch (err) {
      throw new CarlyError(`Could not reach the server: ${(err as Error).message}`, { code: 'NETWORK_ERROR', status: 0, procedure, cause: err });
    }
    if (res.status === 401 && attempt === 0 && replayable && (await t.refreshAfter(headers.authorization))) continue;
    if (!res.ok) throw await errorOf(res, procedure);
    return res;
  }
}

/** Splits a byte stream into lines, decoding UTF-8 across chunk boundaries. */
async function* linesOf(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = rest.indexOf('\n')) !== -1) {
        yield rest.slice(0, nl);
        rest = rest.slice(nl + 1);
      }
    }
    rest += decoder.decode();
    if (rest !== '') yield rest;
  } finally {
    // Leaving the loop early ends the request: the server closes its snapshot at once.
    await reader.cancel().catch(() => {});
  }
}

/** `carly.customers.bulkExport`: GET /customers/export as NDJSON, parsed as it arrives. */
export async function bulkExport(t: BulkTransport, input: BulkExportInput = {}, options: BulkCallOptions = {}): Promise<BulkExport> {
  const params = new URLSearchParams({ format: input.format ?? 'ndjson' });
  if (input.query !== undefined) params.set('query', input.query);
  const res = await send(t, `/customers/export?${params}`, { method: 'GET', signal: options.signal }, 'customers.bulkExport', true);
  async function* customers(): AsyncGenerator<Customer, void, undefined> {
    for await (const line of linesOf(res.body!)) if (line.trim() !== '') yield customerOfLine(line);
  }
  return { eventsAfter: res.headers.get('carly-events-after'), customers: customers() };
}

/**
 * `carly.customers.bulkImport`: POST /customers/import with the rows as NDJSON, sent as they are
 * produced (an async iterable streams; memory stays flat). Answers the report of the import.
 */
export async function bulkImport(
  t: BulkTransport,
  rows: Iterable<BulkImportRow> | AsyncIterable<BulkImportRow>,
  options: BulkCallOptions = {},
): Promise<ImportReport> {
  const encoder = new TextEncoder();
  const iterator = (Symbol.asyncIterator in rows ? rows[Symbol.asyncIterator]() : (rows as Iterable<BulkImportRow>)[Symbol.iterator]()) as
    | AsyncIterator<BulkImportRow>
    | Iterator<BulkImportRow>;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let text = '';
      // About 64 KiB per chunk.
      while (text.length < 65_536) {
        const next = await iterator.next();
        if (next.done) break;
        const row = next.value;
        text += `${JSON.stringify(row.createdAt instanceof Date ? { ...row, createdAt: row.createdAt.toISOString() } : row)}\n`;
      }
      if (text === '') controller.close();
      else controller.enqueue(encoder.encode(text));
    },
  });
  const headers: Record<string, string> = { 'content-type': 'application/x-ndjson' };
  if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
  // A streamed body cannot be sent twice: no refresh-and-retry here (sign in first, or use an API key).
  // A template literal: the SDK build's import scanner takes the word import before a quote for an import statement.
  const res = await send(t, `/customers/import`, { method: 'POST', body, headers, signal: options.signal, duplex: 'half' }, 'customers.bulkImport', false);
  return ImportReportSchema.parse(await res.json());
}

import type { EventType } from '../client-sdk/src/schemas/events.js';
import { auditRows } from './audit/audit-rows.js';
import type { WriteHook } from './db/write-transaction.js';
import { eventRows } from './events/event-rows.js';

export interface WriteHookOptions {
  /** Benchmarks only: false writes no change events, to measure what the event log costs. Default true. */
  recordEvents?: boolean;
  /** After a commit that wrote events, with their types (wakes live readers in this process, counts them). */
  onEventsCommitted?: (types: readonly EventType[]) => void;
  /** After a commit that wrote audit entries (wakes the chainer, see audit/audit-chainer.ts). */
  onAuditCommitted?: () => void;
}

/**
 * What every write transaction records beside its change, in this order: its events, then its
 * audit entries. The storage layer (db/write-transaction.ts) knows neither feature; it is given
 * this list where a WriteTransactions is built.
 */
export const writeHooks = (options: WriteHookOptions = {}): WriteHook[] => [
  eventRows({ record: options.recordEvents, onCommitted: options.onEventsCommitted }),
  auditRows(options.onAuditCommitted),
];

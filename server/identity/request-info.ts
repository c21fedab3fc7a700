/**
 * What the wire knows about the request; filled by the adapter (server/http) or an in-process
 * caller, never by a procedure. Here, not in server/trpc, because services read it too (sessions
 * record the client's address and user agent) and services know no wire.
 */
export interface RequestInfo {
  requestId: string;
  ip: string;
  userAgent: string | null;
  authorization: string | null;
  /** The raw `Idempotency-Key` header, if sent. */
  idempotencyKey: string | null;
  /** How many procedure calls this HTTP request carries (a tRPC batch carries several). */
  calls: number;
}

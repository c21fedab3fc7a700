/**
 * The server's per-request context: internal to the server, opaque to clients.
 * (The SDK build puts this stub in place of the context module when it
 * bundles the declarations.)
 */
export type Context = object;
export type RequestInfo = object;
export type Services = object;

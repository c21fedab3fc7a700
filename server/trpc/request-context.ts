import type { Domain } from '../domain.js';
import type { RequestInfo } from '../identity/request-info.js';
import type { Context } from './context.js';

/** The context of one request, from what the wire (or an in-process caller) knows of it. */
export const contextFactory =
  (domain: Domain) =>
  (info: RequestInfo): Context => ({
    request: info,
    responseHeaders: {},
    authenticate: () => domain.authenticator.authenticate(info.authorization),
    idempotency: domain.idempotency,
    makeServices: (identity, answer) => domain.servicesFor(info, identity, answer),
  });

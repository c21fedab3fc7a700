import type { OpenApiMeta } from 'trpc-to-openapi';
import type { Access } from './access.js';

/**
 * The procedure metadata, declared structurally so the router type (and the SDK's published
 * declarations) never import trpc-to-openapi; the assertion below keeps it compatible.
 */
// A type alias, not an interface: only aliases are assignable to Record<string, unknown>.
export type ApiMeta = {
  /** Who may call (set by the procedure builders in trpc/init.ts; documented in the OpenAPI document). */
  access?: Access;
  /** The answer holds a secret (tokens, an API key, a webhook secret): an Idempotency-Key is refused. */
  returnsSecret?: boolean;
  /**
   * What the call does to the caller's session, for the SDK (which keeps tokens by this
   * declaration, never by guessing from an answer's shape): `opens` answers `{ tokens }` for the
   * client to keep from now on; `ends` ends the session whose token sent it.
   */
  session?: 'opens' | 'ends';
  openapi?: {
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
    path: `/${string}`;
    summary?: string;
    description?: string;
    tags?: string[];
    protect?: boolean;
    successDescription?: string;
    errorResponses?: Record<number, string>;
  };
};

type Assert<T extends true> = T;
export type ApiMetaIsOpenApiMeta = Assert<ApiMeta extends OpenApiMeta ? true : false>;

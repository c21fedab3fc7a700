import type { EntityManager } from '@mikro-orm/knex';
import type { ApiKeyAuthenticator } from '../api-keys/api-key-authenticator.js';
import { SECRET_PREFIX } from '../api-keys/secret-format.js';
import { type SessionDeps, Sessions } from '../auth/sessions.js';
import { unauthorized } from '../errors.js';
import type { Caller } from './identity.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/**
 * Turns an `Authorization: Bearer …` header into the caller: an API key when the credential has
 * the `carly_sk_` prefix, otherwise an access token (JWT) of a live session. 401 for anything else.
 */
export class Authenticator {
  constructor(
    private readonly deps: SessionDeps & {
      apiKeys: ApiKeyAuthenticator;
      /** A fresh entity manager, forked only when a lookup needs one. */
      em: () => EntityManager;
    },
  ) {}

  async authenticate(authorization: string | null): Promise<Caller> {
    const credential = authorization?.match(BEARER)?.[1];
    if (!credential) throw unauthorized('Sign in first: send Authorization: Bearer <accessToken or API key>');
    if (credential.startsWith(SECRET_PREFIX)) return { kind: 'apiKey', apiKey: await this.deps.apiKeys.authenticate(credential) };
    if (!JWT.test(credential)) throw unauthorized('Invalid access token');
    const claims = await this.deps.accessTokens.verify(credential);
    let em: EntityManager | undefined;
    const user = await new Sessions(() => (em ??= this.deps.em()), this.deps).live(claims.sid, claims.sub);
    return { kind: 'user', user: { ...user, sessionId: claims.sid } };
  }
}

import { createHash, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Role } from '../../client-sdk/src/schemas/auth.js';
import type { Clock } from '../clock.js';
import { unauthorized } from '../errors.js';

export interface AccessClaims {
  sub: string;
  sid: string;
  role: Role;
}

const ISSUER = 'carly';
const AUDIENCE = 'carly-api';

/** SHA-256 of a random token: enough at rest for 256-bit secrets (no slow hash needed). */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A random opaque token with `bytes` of entropy, URL-safe. */
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** Access tokens: HS256 JWTs carrying the user, the session and the role. */
export class AccessTokens {
  /**
   * Tokens already verified, with their expiry. Profiled, jose's WebCrypto HMAC check was
   * ~110 µs of every request; a client sends the same token for its lifetime. Only genuine,
   * unexpired tokens enter; the session is still checked on every request.
   */
  private readonly verified = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();
  private static readonly MAX_CACHED = 10_000;

  constructor(
    private readonly key: Uint8Array,
    readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {}

  async sign(claims: AccessClaims): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    return new SignJWT({ sid: claims.sid, role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + this.ttlSeconds)
      .sign(this.key);
  }

  /** The claims of a valid, unexpired token of ours; anything else is a 401. */
  async verify(token: string): Promise<AccessClaims> {
    const now = this.clock.now().getTime();
    const known = this.verified.get(token);
    if (known) {
      if (known.expiresAtMs > now) return known.claims;
      this.verified.delete(token);
      throw unauthorized('Access token expired; refresh it');
    }
    const claims = await this.verifySignature(token);
    if (this.verified.size >= AccessTokens.MAX_CACHED) this.verified.clear();
    this.verified.set(token, { claims, expiresAtMs: claims.exp * 1000 });
    return claims;
  }

  private async verifySignature(token: string): Promise<AccessClaims & { exp: number }> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: this.clock.now(),
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      const { sub, sid, role, exp } = payload as { sub?: unknown; sid?: unknown; role?: unknown; exp?: unknown };
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number' || (role !== 'admin' && role !== 'customer')) {
        throw unauthorized('Invalid access token');
      }
      return { sub, sid, role, exp };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw unauthorized('Access token expired; refresh it');
      throw unauthorized('Invalid access token');
    }
  }
}

import type { Role } from '../../client-sdk/src/schemas/auth.js';

/** Who a request is from, once its bearer token and session checked out. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  sessionId: string;
}

import type { Role } from '../../client-sdk/src/schemas/auth.js';

/** Who a request is from, once its bearer token and session checked out. */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  /**
   * Whether the account is linked to a customer record. A customer account without one has
   * claimed an existing record at signup and not yet confirmed its address: that record is not its own yet.
   */
  hasCustomer: boolean;
  sessionId: string;
}

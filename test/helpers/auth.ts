import { expect } from 'vitest';
import { rest, TEST_ADMIN, type TestServer } from './server.js';

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function login(server: TestServer, email: string, password: string): Promise<Tokens> {
  const r = await rest(server.url, 'POST', '/auth/login', { email, password });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.tokens as Tokens;
}

/** A bearer token for the admin that startServer configures through ADMIN_EMAIL/ADMIN_PASSWORD. */
export async function adminToken(server: TestServer): Promise<string> {
  return (await login(server, TEST_ADMIN.email, TEST_ADMIN.password)).accessToken;
}

/** Headers that make a request an admin's. */
export async function adminHeaders(server: TestServer): Promise<Record<string, string>> {
  return bearer(await adminToken(server));
}

let n = 0;
/** Signs up a new customer account; returns its email, password and tokens. */
export async function signupCustomer(server: TestServer, overrides: Record<string, unknown> = {}) {
  n++;
  const email = `cust${n}.${process.pid}.${Date.now()}@example.com`;
  const password = `Sturdy-pass-${n}-${Date.now()}`;
  const r = await rest(server.url, 'POST', '/auth/signup', { email, password, firstName: 'Cust', lastName: `Omer${n}`, ...overrides });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { email: r.body.user.email as string, password, tokens: r.body.tokens as Tokens, body: r.body };
}

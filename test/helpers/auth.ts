import type { TestServer } from './server.js';

/** Headers that make a request an admin's. Customer routes are open until accounts land. */
export async function adminHeaders(_server: TestServer): Promise<Record<string, string>> {
  return {};
}

/** A bearer token for an admin, or undefined while customer routes are open. */
export async function adminToken(_server: TestServer): Promise<string | undefined> {
  return undefined;
}

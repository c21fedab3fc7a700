/**
 * The link a mail carries: the configured page (RESET_URL, VERIFY_URL, or this server's own
 * /reset and /verify) with `token` added to its query, keeping any query the page already has.
 */
export function tokenLink(page: string, token: string): string {
  const url = new URL(page);
  url.searchParams.set('token', token);
  return url.toString();
}

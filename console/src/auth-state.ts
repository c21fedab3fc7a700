import type { Customer, User } from '@carly/client';
import { useSyncExternalStore } from 'react';
import { carly, onSignedOut, queryClient, trpc } from './carly.js';
import { firstCustomersPage } from './screens/customers-query.js';
import { refreshAccessToken, signIn, signOut } from './session.js';

export type AuthState = { status: 'starting' } | { status: 'signedOut'; notice?: string } | { status: 'signedIn'; user: User; customer: Customer | null };

let state: AuthState = { status: 'starting' };
const listeners = new Set<() => void>();
const set = (next: AuthState) => {
  state = next;
  listeners.forEach((l) => l());
};

export const useAuth = () =>
  useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => state,
  );

async function loadMe() {
  const me = await carly.auth.me();
  set({ status: 'signedIn', user: me.user, customer: me.customer });
}

let started: Promise<void> | null = null;
/** At page load: a session cookie left from before (a reload) gives a new access token. Once per page. */
export function startSession(): Promise<void> {
  started ??= (async () => {
    try {
      const accessToken = await refreshAccessToken();
      if (!accessToken) return set({ status: 'signedOut' });
      carly.setAccessToken(accessToken);
      // An admin opening the customers screen needs its first page too: ask in the same batch as
      // auth.me instead of after it (one round trip less on every load; a customer's 403 is dropped).
      if (/^\/console\/?(customers\/?)?$/.test(window.location.pathname)) {
        void queryClient.prefetchQuery(trpc.customers.list.queryOptions(firstCustomersPage));
        // …and the screen's own chunk (it is split from the start bundle), fetched alongside.
        void import('./screens/Customers.js');
      }
      await loadMe();
    } catch {
      set({ status: 'signedOut', notice: 'The server could not be reached. Reload to try again.' });
    }
  })();
  return started;
}

export async function logIn(email: string, password: string) {
  const answer = await signIn(email, password);
  carly.setAccessToken(answer.accessToken);
  await loadMe();
}

export async function logOut() {
  const token = carly.accessToken;
  carly.setAccessToken(null);
  queryClient.clear();
  try {
    await signOut(token);
  } finally {
    set({ status: 'signedOut', notice: 'You are signed out.' });
  }
}

onSignedOut(() => {
  queryClient.clear();
  set({ status: 'signedOut', notice: 'Your session has ended. Sign in again.' });
});

import { type AppRouter, createCarlyClient } from '@carly/client';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { refreshAccessToken } from './session.js';

type Listener = () => void;
const signedOutListeners = new Set<Listener>();

/** Called when the session ends by itself (the refresh cookie was refused). */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/**
 * The console's one SDK client: same origin, the access token in memory, and on a 401 a new
 * access token from the console's cookie route instead of `auth.refresh` (the page never holds a
 * refresh token).
 */
export const carly = createCarlyClient({
  url: window.location.origin,
  refreshAccessToken,
  onTokens: (tokens) => {
    if (tokens === null) signedOutListeners.forEach((listener) => listener());
  },
});

export const queryClient = new QueryClient({
  defaultOptions: {
    // The SDK already retries what is safe to retry; a 4xx is an answer, not a glitch.
    queries: { retry: false, staleTime: 10_000, refetchOnWindowFocus: false },
    mutations: { retry: false },
  },
});

/** TanStack Query options for every procedure, through the SDK's tRPC client (its tokens, retries, refresh). */
export const trpc = createTRPCOptionsProxy<AppRouter>({ client: carly.trpc, queryClient });

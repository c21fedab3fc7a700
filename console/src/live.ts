import { useEffect, useState } from 'react';
import { carly, queryClient, trpc } from './carly.js';

export type LiveState = 'connecting' | 'live' | 'stopped';

/**
 * Follows `customers.onChange` while signed in (an admin: every customer; a customer: their own
 * record) and marks the customer queries stale on each event, so an open list or record refetches
 * at once. The SDK resumes after a dropped connection from the last event it received, so no
 * change is missed; on a 412 (the log no longer reaches back) everything is simply refetched.
 */
export function useLiveChanges(enabled: boolean): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    if (!enabled) return;
    setState('connecting');
    const subscription = carly.customers.onChange(
      {},
      {
        onStarted: () => setState('live'),
        onData: () => {
          void queryClient.invalidateQueries({ queryKey: trpc.customers.pathKey() });
          void queryClient.invalidateQueries({ queryKey: trpc.audit.pathKey() });
        },
        onError: () => {
          setState('stopped');
          void queryClient.invalidateQueries();
        },
      },
    );
    return () => subscription.unsubscribe();
  }, [enabled]);
  return state;
}

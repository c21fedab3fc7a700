import { useMutation, useQuery } from '@tanstack/react-query';
import { queryClient, trpc } from '../carly.js';
import { DataTable } from '../ui/DataTable.js';
import { Empty, ErrorMessage, Loading, when } from '../ui/Status.js';

/** The signed-in person's own sessions, each revocable (auth.sessions, auth.revokeSession). */
export function OwnSessions() {
  const sessions = useQuery(trpc.auth.sessions.queryOptions());
  const revoke = useMutation({
    ...trpc.auth.revokeSession.mutationOptions(),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.auth.sessions.pathKey() }),
  });
  return (
    <section aria-labelledby="sessions-title">
      <h2 id="sessions-title">Your sessions</h2>
      <ErrorMessage error={sessions.error ?? revoke.error} />
      {sessions.isPending ? (
        <Loading what="sessions" />
      ) : !sessions.data?.items.length ? (
        <Empty>No live sessions.</Empty>
      ) : (
        <DataTable
          label="Your sessions"
          rows={sessions.data.items}
          rowKey={(s) => s.id}
          columns={[
            { header: 'Started', cell: (s) => when(s.createdAt) },
            { header: 'Last used', cell: (s) => when(s.lastUsedAt) },
            { header: 'Browser', cell: (s) => s.userAgent ?? '—', className: 'wrap' },
            { header: 'Address', cell: (s) => s.ip ?? '—' },
            {
              header: 'Action',
              cell: (s) =>
                s.current ? (
                  'This session'
                ) : (
                  <button type="button" onClick={() => revoke.mutate({ id: s.id })} aria-label={`Revoke the session started ${when(s.createdAt)}`}>
                    Revoke
                  </button>
                ),
            },
          ]}
        />
      )}
    </section>
  );
}

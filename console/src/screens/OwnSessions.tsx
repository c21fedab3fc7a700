import { useMutation, useQuery } from '@tanstack/react-query';
import { queryClient, trpc } from '../carly.js';
import { Empty, ErrorMessage, Loading, TableBox, when } from '../ui/Status.js';

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
        <TableBox label="Your sessions">
          <table>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Last used</th>
                <th scope="col">Browser</th>
                <th scope="col">Address</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.items.map((s) => (
                <tr key={s.id}>
                  <td>{when(s.createdAt)}</td>
                  <td>{when(s.lastUsedAt)}</td>
                  <td className="wrap">{s.userAgent ?? '—'}</td>
                  <td>{s.ip ?? '—'}</td>
                  <td>
                    {s.current ? (
                      'This session'
                    ) : (
                      <button type="button" onClick={() => revoke.mutate({ id: s.id })} aria-label={`Revoke the session started ${when(s.createdAt)}`}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
    </section>
  );
}

import { useQuery } from '@tanstack/react-query';
import { trpc } from '../carly.js';
import { Empty, ErrorMessage, Loading, TableBox, when } from '../ui/Status.js';

const changesText = (changes: Record<string, [unknown, unknown]> | null) =>
  changes
    ? Object.entries(changes)
        .map(([f, [a, b]]) => `${f}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`)
        .join('; ')
    : '';

/** What happened to this customer: the audit entries whose target it is, newest first (updated live). */
export function CustomerHistory({ customerId }: { customerId: string }) {
  const history = useQuery(trpc.audit.list.queryOptions({ target: customerId, limit: 20 }));
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History</h2>
      <ErrorMessage error={history.error} />
      {history.isPending ? (
        <Loading what="the history" />
      ) : !history.data?.items.length ? (
        <Empty>Nothing recorded yet.</Empty>
      ) : (
        <TableBox label="History">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Who</th>
                <th scope="col">Changes</th>
              </tr>
            </thead>
            <tbody>
              {history.data.items.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.at)}</td>
                  <td>
                    {e.action} ({e.outcome})
                  </td>
                  <td>{e.actor.email ?? `${e.actor.type} ${e.actor.id ?? ''}`}</td>
                  <td className="wrap">{changesText(e.changes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
    </section>
  );
}

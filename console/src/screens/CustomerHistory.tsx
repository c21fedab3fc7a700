import { useQuery } from '@tanstack/react-query';
import { trpc } from '../carly.js';
import { DataTable } from '../ui/DataTable.js';
import { actorText, Empty, ErrorMessage, Loading, when } from '../ui/Status.js';

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
        <DataTable
          label="History"
          rows={history.data.items}
          rowKey={(e) => e.id}
          columns={[
            { header: 'When', cell: (e) => when(e.at) },
            { header: 'What', cell: (e) => `${e.action} (${e.outcome})` },
            { header: 'Who', cell: actorText },
            { header: 'Changes', cell: (e) => changesText(e.changes), className: 'wrap' },
          ]}
        />
      )}
    </section>
  );
}

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { queryClient, trpc } from '../carly.js';
import { navigate } from '../router.js';
import { CopyField } from '../ui/CopyField.js';
import { DataTable } from '../ui/DataTable.js';
import { Pager, useCursorPages } from '../ui/Pager.js';
import { Empty, ErrorMessage, hookState, Loading, when } from '../ui/Status.js';

/** One webhook: disable/enable, rotate its secret, send a test, delete; its delivery attempts, paged. */
export function WebhookPage({ id }: { id: string }) {
  const hook = useQuery(trpc.webhooks.get.queryOptions({ id }));
  const pages = useCursorPages();
  const cursor = pages.cursor;
  // A resent delivery is followed until its new attempt shows (the worker sends it within moments).
  const [awaiting, setAwaiting] = useState<{ deliveryId: string; attempt: number } | null>(null);
  const deliveries = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ id, limit: 20, ...(cursor ? { cursor } : {}) }),
    refetchInterval: (query) =>
      awaiting && !query.state.data?.items.some((d) => d.deliveryId === awaiting.deliveryId && d.attempt >= awaiting.attempt) ? 1000 : false,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const update = useMutation({ ...trpc.webhooks.update.mutationOptions(), onSuccess: refresh });
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions());
  const test = useMutation({ ...trpc.webhooks.test.mutationOptions(), onSuccess: () => setTimeout(refresh, 1000) });
  const resend = useMutation({
    ...trpc.webhooks.resend.mutationOptions(),
    onSuccess: (sent) => setAwaiting({ deliveryId: sent.deliveryId, attempt: sent.attempt }),
  });
  const remove = useMutation({
    ...trpc.webhooks.delete.mutationOptions(),
    onSuccess: async () => {
      await refresh();
      navigate('/webhooks');
    },
  });

  if (hook.isPending) return <Loading what="the webhook" />;
  if (hook.error) {
    return (
      <>
        <h1>Webhook</h1>
        <ErrorMessage error={hook.error} />
      </>
    );
  }
  const h = hook.data;
  const active = h.status === 'active';
  return (
    <>
      <h1 className="wrap">Webhook to {h.url}</h1>
      <dl className="details">
        <dt>State</dt>
        <dd>{hookState(h)}</dd>
        <dt>Events</dt>
        <dd>{h.events.join(', ')}</dd>
        <dt>Description</dt>
        <dd>{h.description ?? '—'}</dd>
        <dt>Created</dt>
        <dd>{when(h.createdAt)}</dd>
      </dl>
      <ErrorMessage error={update.error ?? rotate.error ?? test.error ?? resend.error ?? remove.error} />
      <div className="actions">
        <button type="button" onClick={() => update.mutate({ id, status: active ? 'disabled' : 'active' })}>
          {active ? 'Disable' : 'Enable'}
        </button>
        <button type="button" onClick={() => rotate.mutate({ id })}>
          Rotate secret
        </button>
        <button type="button" onClick={() => test.mutate({ id })}>
          Send a test event
        </button>
        <button type="button" className="danger-button" onClick={() => remove.mutate({ id })}>
          Delete webhook
        </button>
      </div>
      {rotate.data && <CopyField label="New signing secret (the old one also signs for 24 hours)" value={rotate.data.secret} />}
      {test.data && <p role="status">Test event {test.data.eventId} sent: its attempt appears below.</p>}
      {resend.data && (
        <p role="status">
          Delivery {resend.data.deliveryId} sent again: attempt {resend.data.attempt} appears below.
        </p>
      )}
      <section aria-labelledby="deliveries-title">
        <h2 id="deliveries-title">Deliveries</h2>
        <ErrorMessage error={deliveries.error} />
        {deliveries.isPending ? (
          <Loading what="deliveries" />
        ) : !deliveries.data?.items.length ? (
          <Empty>No delivery attempts yet.</Empty>
        ) : (
          <DataTable
            label="Deliveries"
            rows={deliveries.data.items.map((d, i, all) => ({ ...d, newest: all.findIndex((o) => o.deliveryId === d.deliveryId) === i }))}
            rowKey={(d) => d.id}
            columns={[
              { header: 'When', cell: (d) => when(d.createdAt) },
              { header: 'Event', cell: (d) => d.eventId, className: 'mono' },
              { header: 'Attempt', cell: (d) => d.attempt },
              { header: 'Result', cell: (d) => d.status },
              {
                header: 'Receiver answered',
                cell: (d) => (
                  <>
                    {`${d.responseStatus ?? 'no answer'}${d.error ? ` (${d.error})` : ''}`}
                    {d.responseBody ? (
                      <details className="answer">
                        <summary>{`Body, ${d.responseBody.length} characters`}</summary>
                        <pre className="mono wrap">{d.responseBody}</pre>
                      </details>
                    ) : null}
                  </>
                ),
                className: 'wrap',
              },
              { header: 'Time', cell: (d) => (d.durationMs === null ? '—' : `${d.durationMs} ms`) },
              { header: 'Next attempt', cell: (d) => when(d.nextAttemptAt) },
              {
                header: 'Action',
                cell: (d) =>
                  d.newest ? (
                    <button
                      type="button"
                      className="secondary"
                      disabled={!active || resend.isPending}
                      aria-label={`Resend delivery ${d.deliveryId} (${d.eventId})`}
                      onClick={() => resend.mutate({ id, deliveryId: d.deliveryId })}
                    >
                      Resend
                    </button>
                  ) : (
                    ''
                  ),
              },
            ]}
          />
        )}
        <Pager back={pages.back} forward={pages.forward(deliveries.data?.nextCursor)} labels={['Newer attempts', 'Older attempts']} />
      </section>
    </>
  );
}

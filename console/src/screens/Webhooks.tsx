import { EVENT_TYPES, WebhookCreateInput } from '@carly/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { queryClient, trpc } from '../carly.js';
import { CopyField } from '../ui/CopyField.js';
import { DataTable } from '../ui/DataTable.js';
import { FormEnd } from '../ui/FormEnd.js';
import { Link } from '../ui/Link.js';
import { Empty, ErrorMessage, hookState, Loading, when } from '../ui/Status.js';

/** Webhooks: create (the signing secret shown once) and the list; each one opens its own page. */
export function Webhooks() {
  const hooks = useQuery(trpc.webhooks.list.queryOptions());
  const create = useMutation({
    ...trpc.webhooks.create.mutationOptions(),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }),
  });
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const chosen = form.getAll('events').map(String);
    const description = String(form.get('description') ?? '').trim();
    const input = { url: String(form.get('url') ?? ''), events: chosen.length ? chosen : ['*'], ...(description ? { description } : {}) };
    const checked = WebhookCreateInput.safeParse(input);
    if (!checked.success) return setProblem(checked.error.issues.map((i) => i.message).join('. '));
    setProblem(null);
    create.mutate(checked.data);
  };

  return (
    <>
      <h1>Webhooks</h1>
      <section aria-labelledby="new-hook-title">
        <h2 id="new-hook-title">New webhook</h2>
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="hook-url">Receiver URL</label>
            <input id="hook-url" name="url" type="url" required placeholder="https://example.com/hooks/carly" />
          </div>
          <fieldset>
            <legend>Events (none ticked: every event)</legend>
            {EVENT_TYPES.map((type) => (
              <label key={type} className="check">
                <input type="checkbox" name="events" value={type} /> {type}
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor="hook-description">Description (optional)</label>
            <input id="hook-description" name="description" />
          </div>
          <FormEnd problem={problem} error={create.error} busy={create.isPending} label="Create webhook" />
        </form>
        {create.data && <CopyField label={`Signing secret of ${create.data.webhook.url}`} value={create.data.secret} />}
      </section>
      <section aria-labelledby="hooks-title">
        <h2 id="hooks-title">Webhooks</h2>
        <ErrorMessage error={hooks.error} />
        {hooks.isPending ? (
          <Loading what="webhooks" />
        ) : !hooks.data?.items.length ? (
          <Empty>No webhooks yet.</Empty>
        ) : (
          <DataTable
            label="Webhooks"
            rows={hooks.data.items}
            rowKey={(h) => h.id}
            columns={[
              { header: 'URL', cell: (h) => <Link to={`/webhooks/${encodeURIComponent(h.id)}`}>{h.url}</Link>, className: 'wrap' },
              { header: 'Events', cell: (h) => h.events.join(', '), className: 'wrap' },
              { header: 'State', cell: hookState },
              { header: 'Created', cell: (h) => when(h.createdAt) },
            ]}
          />
        )}
      </section>
    </>
  );
}

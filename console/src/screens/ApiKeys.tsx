import { API_KEY_SCOPES, ApiKeyCreateInput, type Scope } from '@carly/client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { queryClient, trpc } from '../carly.js';
import { CopyField } from '../ui/CopyField.js';
import { DataTable } from '../ui/DataTable.js';
import { FormEnd } from '../ui/FormEnd.js';
import { Empty, ErrorMessage, Loading, when } from '../ui/Status.js';

/** API keys: create with scopes (the secret shown once, with a copy button), list, revoke. */
export function ApiKeys() {
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.pathKey() });
  const create = useMutation({ ...trpc.apiKeys.create.mutationOptions(), onSuccess: refresh });
  const revoke = useMutation({ ...trpc.apiKeys.revoke.mutationOptions(), onSuccess: refresh });
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const expires = String(form.get('expiresAt') ?? '');
    const input = {
      name: String(form.get('name') ?? ''),
      scopes: form.getAll('scopes').map(String) as Scope[],
      ...(expires ? { expiresAt: new Date(`${expires}T23:59:59Z`) } : {}),
    };
    const checked = ApiKeyCreateInput.safeParse(input);
    if (!checked.success) return setProblem(checked.error.issues.map((i) => i.message).join('. '));
    setProblem(null);
    create.mutate(input);
  };

  return (
    <>
      <h1>API keys</h1>
      <section aria-labelledby="new-key-title">
        <h2 id="new-key-title">New key</h2>
        <form onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="key-name">Name</label>
            <input id="key-name" name="name" required />
          </div>
          <fieldset>
            <legend>Scopes</legend>
            {API_KEY_SCOPES.map((scope) => (
              <label key={scope} className="check">
                <input type="checkbox" name="scopes" value={scope} /> {scope}
              </label>
            ))}
          </fieldset>
          <div className="field">
            <label htmlFor="key-expires">Expires on (optional)</label>
            <input id="key-expires" name="expiresAt" type="date" />
          </div>
          <FormEnd problem={problem} error={create.error} busy={create.isPending} label="Create key" />
        </form>
        {create.data && <CopyField label={`Secret of “${create.data.apiKey.name}”`} value={create.data.secret} />}
      </section>
      <section aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <ErrorMessage error={keys.error ?? revoke.error} />
        {keys.isPending ? (
          <Loading what="API keys" />
        ) : !keys.data?.items.length ? (
          <Empty>No API keys yet.</Empty>
        ) : (
          <DataTable
            label="API keys"
            rows={keys.data.items}
            rowKey={(k) => k.id}
            columns={[
              { header: 'Name', cell: (k) => k.name },
              { header: 'Starts with', cell: (k) => `${k.start}…`, className: 'mono' },
              { header: 'Scopes', cell: (k) => k.scopes.join(', '), className: 'wrap' },
              { header: 'Created', cell: (k) => when(k.createdAt) },
              { header: 'Last used', cell: (k) => when(k.lastUsedAt) },
              { header: 'Expires', cell: (k) => (k.expiresAt ? when(k.expiresAt) : 'never') },
              {
                header: 'State',
                cell: (k) =>
                  k.revokedAt ? (
                    `revoked ${when(k.revokedAt)}`
                  ) : (
                    <button type="button" onClick={() => revoke.mutate({ id: k.id })} aria-label={`Revoke ${k.name}`}>
                      Revoke
                    </button>
                  ),
              },
            ]}
          />
        )}
      </section>
    </>
  );
}

import { CustomerUpdateInput, type Customer } from '@carly/client';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { carly, queryClient, trpc } from '../carly.js';
import { isConflict } from '../ui/errors.js';
import { ErrorMessage, Loading } from '../ui/Status.js';
import { Conflict } from './Conflict.js';
import { CustomerDetails } from './CustomerDetails.js';
import { CustomerForm } from './CustomerForm.js';
import { CustomerHistory } from './CustomerHistory.js';
import { DangerZone } from './DangerZone.js';
import { fieldsOf } from './customer-form.js';
import { OwnSessions } from './OwnSessions.js';
import { PersonalExport } from './PersonalExport.js';

type UpdateInput = Parameters<typeof carly.customers.update>[0];

/**
 * One customer: fields, metadata and version (kept current by the live subscription), edit with
 * the shared schema's messages, a stale version shown beside the current one, history, sessions,
 * the person's data export; for admins also delete and erase.
 */
export function CustomerPage({ email, admin }: { email: string; admin: boolean }) {
  const customer = useQuery(trpc.customers.get.queryOptions({ email }));
  const [editing, setEditing] = useState(false);
  const [conflict, setConflict] = useState<{ mine: UpdateInput; theirs: Customer } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [customer.data?.id]);

  if (customer.isPending) return <Loading what="the customer" />;
  if (customer.error) {
    return (
      <>
        <h1>Customer</h1>
        <ErrorMessage error={customer.error} />
      </>
    );
  }
  const c = customer.data;
  const save = async (input: UpdateInput) => {
    try {
      const updated = await carly.customers.update(input);
      queryClient.setQueryData(trpc.customers.get.queryKey({ email }), updated);
      setEditing(false);
      setConflict(null);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const theirs = await carly.customers.get({ email });
      queryClient.setQueryData(trpc.customers.get.queryKey({ email }), theirs);
      setConflict({ mine: input, theirs });
      setEditing(false);
    }
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>{`${c.firstName} ${c.lastName}`}</h1>
      <p className="muted">
        {c.email} · version {c.version}
      </p>
      {conflict ? (
        <Conflict
          mine={conflict.mine}
          theirs={conflict.theirs}
          onReapply={() => save({ ...conflict.mine, version: conflict.theirs.version })}
          onDiscard={() => setConflict(null)}
        />
      ) : editing ? (
        <section aria-labelledby="edit-title">
          <h2 id="edit-title">Edit</h2>
          <CustomerForm
            initial={fieldsOf(c)}
            schema={CustomerUpdateInput}
            emailEditable={false}
            submitLabel="Save changes"
            toInput={({ email: _email, ...fields }) => ({ email: c.email, ...fields, version: c.version })}
            onSubmit={(input) => save(input as UpdateInput)}
            onCancel={() => setEditing(false)}
          />
        </section>
      ) : (
        <>
          <CustomerDetails customer={c} />
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
        </>
      )}
      {admin ? <CustomerHistory customerId={c.id} /> : <OwnSessions />}
      <PersonalExport email={c.email} showSessions={admin} />
      {admin && <DangerZone email={c.email} />}
    </>
  );
}

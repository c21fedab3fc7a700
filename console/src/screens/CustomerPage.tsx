import { type Customer, CustomerUpdateInput } from '@carly/client';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { carly, queryClient, trpc } from '../carly.js';
import { isConflict } from '../ui/errors.js';
import { ErrorMessage, Loading } from '../ui/Status.js';
import { Conflict } from './Conflict.js';
import { CustomerDetails } from './CustomerDetails.js';
import { CustomerForm } from './CustomerForm.js';
import { CustomerHistory } from './CustomerHistory.js';
import { fieldsOf, inputOf } from './customer-form.js';
import { DangerZone } from './DangerZone.js';
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
  // The version the person started editing from: live updates may move the record on meanwhile,
  // and saving must then be refused as stale (409), not silently overwrite.
  const [editing, setEditing] = useState<Customer | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [conflict, setConflict] = useState<{ mine: UpdateInput; theirs: Customer } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the heading takes focus when another customer is shown (the id is the trigger, not an input)
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
      setEditing(null);
      setConflict(null);
      setFailure(null);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const theirs = await carly.customers.get({ email });
      queryClient.setQueryData(trpc.customers.get.queryKey({ email }), theirs);
      setConflict({ mine: input, theirs });
      setEditing(null);
    }
  };

  return (
    <>
      <h1 ref={heading} tabIndex={-1}>{`${c.firstName} ${c.lastName}`}</h1>
      <p className="muted">
        {c.email} · version {c.version}
      </p>
      <ErrorMessage error={failure} />
      {conflict ? (
        <Conflict
          mine={conflict.mine}
          theirs={conflict.theirs}
          onReapply={() => save({ ...conflict.mine, version: conflict.theirs.version }).catch(setFailure)}
          onDiscard={() => setConflict(null)}
        />
      ) : editing !== null ? (
        <section aria-labelledby="edit-title">
          <h2 id="edit-title">Edit</h2>
          <CustomerForm
            initial={fieldsOf(editing)}
            schema={CustomerUpdateInput}
            emailEditable={false}
            submitLabel="Save changes"
            toInput={(input) => changesOf(editing, input)}
            onSubmit={(input) => save(input as UpdateInput)}
            onCancel={() => setEditing(null)}
          />
        </section>
      ) : (
        <>
          <CustomerDetails customer={c} />
          <button type="button" onClick={() => setEditing(c)}>
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

/**
 * Only the fields the person changed, against the version they started from (sent as `version`):
 * reapplied after a conflict, they land on top of the other change instead of undoing it.
 */
function changesOf(base: Customer, input: ReturnType<typeof inputOf>): UpdateInput {
  const before = inputOf(fieldsOf(base));
  const changed: Record<string, unknown> = {};
  for (const key of ['firstName', 'lastName', 'phone', 'company', 'address', 'metadata'] as const) {
    if (JSON.stringify(input[key]) !== JSON.stringify(before[key])) changed[key] = input[key];
  }
  return { email: base.email, ...changed, version: base.version };
}

import { useState } from 'react';
import { carly, queryClient, trpc } from '../carly.js';
import { navigate } from '../router.js';
import { ErrorMessage } from '../ui/Status.js';

/** Delete (with a second click) and erase (with the email typed again), for admins. */
export function DangerZone({ email }: { email: string }) {
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [typed, setTyped] = useState('');
  const [error, setError] = useState<unknown>(null);
  const done = async () => {
    queryClient.removeQueries({ queryKey: trpc.customers.get.queryKey({ email }) });
    await queryClient.invalidateQueries({ queryKey: trpc.customers.list.pathKey() });
    navigate('/customers');
  };
  const remove = async () => {
    try {
      await carly.customers.delete({ email });
      await done();
    } catch (err) {
      setError(err);
    }
  };
  const erase = async () => {
    try {
      await carly.customers.erase({ email, confirm: typed.trim().toLowerCase() });
      await done();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="danger-title" className="danger">
      <h2 id="danger-title">Delete or erase</h2>
      <ErrorMessage error={error} />
      <p>Deleting removes the customer, their account and sessions. Erasing also replaces their personal data in the retained history by a pseudonym.</p>
      {confirmDelete ? (
        <div className="actions">
          <button type="button" className="danger-button" onClick={remove}>
            Yes, delete {email}
          </button>
          <button type="button" className="secondary" onClick={() => setConfirmDelete(false)}>
            Keep the customer
          </button>
        </div>
      ) : (
        <button type="button" className="danger-button" onClick={() => setConfirmDelete(true)}>
          Delete customer
        </button>
      )}
      <div className="field">
        <label htmlFor="erase-confirm">Type the email to erase this person</label>
        <input id="erase-confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" />
      </div>
      <button type="button" className="danger-button" disabled={typed.trim().toLowerCase() !== email} onClick={erase}>
        Erase personal data
      </button>
    </section>
  );
}

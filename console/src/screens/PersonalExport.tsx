import type { PersonalDataExport } from '@carly/client';
import { useState } from 'react';
import { carly } from '../carly.js';
import { Empty, ErrorMessage, TableBox, when } from '../ui/Status.js';

/**
 * The person's data export (customers.export, GDPR art. 15): downloaded as a JSON file, and, for
 * an admin, their sessions and change events shown from it. Fetched only when asked: each export
 * is an audited act, not something a page view should record.
 */
export function PersonalExport({ email, showSessions }: { email: string; showSessions: boolean }) {
  const [data, setData] = useState<PersonalDataExport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [href, setHref] = useState<string | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const exported = await carly.customers.export({ email });
      setData(exported);
      if (href) URL.revokeObjectURL(href);
      setHref(URL.createObjectURL(new Blob([JSON.stringify(exported, null, 2)], { type: 'application/json' })));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="export-title">
      <h2 id="export-title">{showSessions ? 'Data export, sessions and events' : 'Your data'}</h2>
      <p className="muted">Everything held about this person in one JSON document. Each export is recorded in the audit log.</p>
      <button type="button" onClick={run} disabled={busy}>
        {busy ? 'Exporting…' : 'Export data'}
      </button>
      <ErrorMessage error={error} />
      {href && (
        <p role="status">
          Export ready: <a href={href} download={`carly-export-${email}.json`}>Download the export (JSON)</a>
        </p>
      )}
      {data && showSessions && (
        <>
          <h3>Sessions</h3>
          {data.sessions.length === 0 ? (
            <Empty>No sessions.</Empty>
          ) : (
            <TableBox label="Sessions">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Ends</th>
                    <th scope="col">Revoked</th>
                    <th scope="col">Browser</th>
                  </tr>
                </thead>
                <tbody>
                  {data.sessions.map((s) => (
                    <tr key={s.id}>
                      <td>{when(s.createdAt)}</td>
                      <td>{when(s.lastUsedAt)}</td>
                      <td>{when(s.expiresAt)}</td>
                      <td>{when(s.revokedAt)}</td>
                      <td className="wrap">{s.userAgent ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableBox>
          )}
          <p className="muted">An admin cannot end another person's session through the API (only the person can, or a password reset ends them all).</p>
          <h3>Change events</h3>
          {data.events.length === 0 ? (
            <Empty>No events.</Empty>
          ) : (
            <TableBox label="Change events">
              <table>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Type</th>
                    <th scope="col">Fields</th>
                    <th scope="col">By</th>
                  </tr>
                </thead>
                <tbody>
                  {data.events.map((e) => (
                    <tr key={e.id}>
                      <td>{when(e.occurredAt)}</td>
                      <td>{e.type}</td>
                      <td className="wrap">{e.changed.join(', ') || '—'}</td>
                      <td>{`${e.actor.type} ${e.actor.id ?? ''}`}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableBox>
          )}
        </>
      )}
    </section>
  );
}

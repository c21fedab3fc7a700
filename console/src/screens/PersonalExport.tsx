import type { PersonalDataExport } from '@carly/client';
import { useState } from 'react';
import { carly } from '../carly.js';
import { DataTable } from '../ui/DataTable.js';
import { Empty, ErrorMessage, when } from '../ui/Status.js';

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
          Export ready:{' '}
          <a href={href} download={`carly-export-${email}.json`}>
            Download the export (JSON)
          </a>
        </p>
      )}
      {data && showSessions && (
        <>
          <h3>Sessions</h3>
          {data.sessions.length === 0 ? (
            <Empty>No sessions.</Empty>
          ) : (
            <DataTable
              label="Sessions"
              rows={data.sessions}
              rowKey={(s) => s.id}
              columns={[
                { header: 'Started', cell: (s) => when(s.createdAt) },
                { header: 'Last used', cell: (s) => when(s.lastUsedAt) },
                { header: 'Ends', cell: (s) => when(s.expiresAt) },
                { header: 'Revoked', cell: (s) => when(s.revokedAt) },
                { header: 'Browser', cell: (s) => s.userAgent ?? '—', className: 'wrap' },
              ]}
            />
          )}
          <p className="muted">An admin cannot end another person's session through the API (only the person can, or a password reset ends them all).</p>
          <h3>Change events</h3>
          {data.events.length === 0 ? (
            <Empty>No events.</Empty>
          ) : (
            <DataTable
              label="Change events"
              rows={data.events}
              rowKey={(e) => e.id}
              columns={[
                { header: 'When', cell: (e) => when(e.occurredAt) },
                { header: 'Type', cell: (e) => e.type },
                { header: 'Fields', cell: (e) => e.changed.join(', ') || '—', className: 'wrap' },
                { header: 'By', cell: (e) => `${e.actor.type} ${e.actor.id ?? ''}` },
              ]}
            />
          )}
        </>
      )}
    </section>
  );
}

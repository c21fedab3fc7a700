import { useEffect, useRef, useState } from 'react';
import { authorizedFetch } from '../ui/authorized-fetch.js';
import { ErrorMessage } from '../ui/Status.js';

type Format = 'ndjson' | 'csv';

/**
 * The bulk export (`GET /customers/export`, a REST stream, not a procedure): every customer
 * matching the applied advanced query (all without one), as NDJSON or CSV. Fetched with the
 * in-memory access token, held as a Blob and saved through an object URL: no token in a URL, and
 * nothing the CSP forbids (a `blob:` download is not a script, a style or a connection).
 */
export function BulkExport({ query }: { query: string }) {
  const [format, setFormat] = useState<Format>('csv');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const url = useRef<string | null>(null);
  useEffect(
    () => () => {
      if (url.current) URL.revokeObjectURL(url.current);
    },
    [],
  );

  const download = async () => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const params = new URLSearchParams({ format });
      if (query) params.set('query', query);
      const res = await authorizedFetch(`/customers/export?${params}`, { headers: { accept: format === 'csv' ? 'text/csv' : 'application/x-ndjson' } });
      const blob = await res.blob();
      if (url.current) URL.revokeObjectURL(url.current);
      url.current = URL.createObjectURL(blob);
      const name = `carly-customers-${new Date().toISOString().slice(0, 10)}.${format}`;
      const a = document.createElement('a');
      a.href = url.current;
      a.download = name;
      a.click();
      setDone(`Saved ${name} (${formatBytes(blob.size)}).`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="bulk-export-title">
      <h2 id="bulk-export-title">Export customers</h2>
      <p className="muted">
        {query ? (
          <>
            Every customer matching the query <code>{query}</code>
          </>
        ) : (
          'Every customer'
        )}{' '}
        (the free-text search is not applied), from one consistent snapshot. Each export is recorded in the audit log.
      </p>
      <fieldset>
        <legend>Format</legend>
        <label className="check">
          <input type="radio" name="export-format" value="csv" checked={format === 'csv'} onChange={() => setFormat('csv')} />
          CSV (spreadsheets)
        </label>
        <label className="check">
          <input type="radio" name="export-format" value="ndjson" checked={format === 'ndjson'} onChange={() => setFormat('ndjson')} />
          NDJSON (one JSON customer a line)
        </label>
      </fieldset>
      <button type="button" onClick={() => void download()} disabled={busy}>
        {busy ? 'Exporting…' : 'Download export'}
      </button>
      <ErrorMessage error={error} />
      {done && <p role="status">{done}</p>}
    </section>
  );
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

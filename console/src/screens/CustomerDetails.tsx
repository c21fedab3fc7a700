import type { Customer } from '@carly/client';
import { Empty, when } from '../ui/Status.js';

export function CustomerDetails({ customer: c }: { customer: Customer }) {
  const address = c.address
    ? [c.address.line1, c.address.line2, c.address.city, c.address.region, c.address.postalCode, c.address.country].filter(Boolean).join(', ')
    : null;
  const metadata = Object.entries(c.metadata);
  return (
    <section aria-labelledby="details-title">
      <h2 id="details-title">Details</h2>
      <dl className="details">
        <dt>Email</dt>
        <dd>{c.email}</dd>
        <dt>Phone</dt>
        <dd>{c.phone ?? '—'}</dd>
        <dt>Company</dt>
        <dd>{c.company ?? '—'}</dd>
        <dt>Address</dt>
        <dd>{address ?? '—'}</dd>
        <dt>Version</dt>
        <dd>{c.version}</dd>
        <dt>Created</dt>
        <dd>{when(c.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{when(c.updatedAt)}</dd>
        <dt>Id</dt>
        <dd className="mono">{c.id}</dd>
      </dl>
      <h3>Metadata</h3>
      {metadata.length === 0 ? (
        <Empty>No metadata.</Empty>
      ) : (
        <dl className="details">
          {metadata.map(([k, v]) => (
            <div key={k} className="pair">
              <dt className="mono">{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      )}
    </section>
  );
}

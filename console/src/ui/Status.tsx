import type { ReactNode } from 'react';
import { describeError } from './errors.js';

/** A failure, announced to screen readers as it appears. */
export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" className="error">
      {describeError(error)}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Tables scroll sideways on a phone; the wrapper is focusable so a keyboard can scroll it too. */
export function TableBox({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a table that scrolls sideways must be reachable by keyboard (axe: scrollable-region-focusable)
    <section className="table-box" tabIndex={0} aria-label={label}>
      {children}
    </section>
  );
}

/** Who acted, as an audit entry names them. */
export const actorText = (e: { actor: { type: string; id: string | null; email: string | null } }) => e.actor.email ?? `${e.actor.type} ${e.actor.id ?? ''}`;

/** A webhook's state in words. */
export const hookState = (h: { status: string; failingSince: Date | null }) => `${h.status}${h.failingSince ? `, failing since ${when(h.failingSince)}` : ''}`;

export const when = (d: Date | string | null | undefined) => (d ? new Date(d).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—');

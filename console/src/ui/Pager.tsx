import { type ReactNode, useState } from 'react';

/**
 * Cursor paging: the cursors of the pages before this one are kept, so "back" needs no cursor the
 * API does not give. `reset` returns to the first page (a new search or filter).
 */
export function useCursorPages() {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors.at(-1),
    page: cursors.length + 1,
    back: cursors.length > 0 ? () => setCursors((c) => c.slice(0, -1)) : undefined,
    forward: (next: string | null | undefined) => (next ? () => setCursors((c) => [...c, next]) : undefined),
    reset: () => setCursors([]),
  };
}

export function Pager({
  back,
  forward,
  labels,
  children,
}: {
  back: (() => void) | undefined;
  forward: (() => void) | undefined;
  labels: [string, string];
  children?: ReactNode;
}) {
  return (
    <div className="pager">
      <button type="button" disabled={!back} onClick={back}>
        {labels[0]}
      </button>
      {children}
      <button type="button" disabled={!forward} onClick={forward}>
        {labels[1]}
      </button>
    </div>
  );
}

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { trpc } from '../carly.js';
import { customerPath } from '../router.js';
import { Link } from '../ui/Link.js';
import { Empty, ErrorMessage, Loading, TableBox, when } from '../ui/Status.js';
import { useDebounced } from '../ui/useDebounced.js';

const PAGE = 25;

/**
 * Customers, one page at a time (never the whole table): `customers.list` with `q` as the person
 * types (debounced), and its cursor for the next page; earlier cursors are kept for "Previous".
 */
export function Customers() {
  const [typed, setTyped] = useState('');
  const q = useDebounced(typed.trim(), 250);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const list = useQuery({
    ...trpc.customers.list.queryOptions({ limit: PAGE, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) }),
    placeholderData: keepPreviousData,
  });
  const items = list.data?.items ?? [];

  return (
    <>
      <div className="title-row">
        <h1>Customers</h1>
        <Link to="/customers/new">New customer</Link>
      </div>
      <div className="search">
        <label htmlFor="customer-search">Search customers</label>
        <input
          id="customer-search"
          type="search"
          value={typed}
          placeholder="Name or email"
          autoComplete="off"
          onChange={(e) => {
            setTyped(e.target.value);
            setCursors([]);
          }}
        />
      </div>
      <ErrorMessage error={list.error} />
      {list.isPending ? (
        <Loading what="customers" />
      ) : items.length === 0 ? (
        <Empty>{q ? `No customer matches “${q}”.` : 'No customers yet. Create the first one.'}</Empty>
      ) : (
        <TableBox label="Customers">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Company</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={customerPath(c.email)}>{`${c.firstName} ${c.lastName}`}</Link>
                  </td>
                  <td>{c.email}</td>
                  <td>{c.company ?? '—'}</td>
                  <td>{when(c.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableBox>
      )}
      <div className="pager">
        <button type="button" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <span className="muted" role="status">
          {list.isFetching && !list.isPending ? 'Updating…' : `Page ${cursors.length + 1}`}
        </span>
        <button
          type="button"
          disabled={!list.data?.nextCursor}
          onClick={() => list.data?.nextCursor && setCursors((c) => [...c, list.data.nextCursor!])}
        >
          Next page
        </button>
      </div>
    </>
  );
}

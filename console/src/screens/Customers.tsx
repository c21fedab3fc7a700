import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { trpc } from '../carly.js';
import { customerPath } from '../router.js';
import { DataTable } from '../ui/DataTable.js';
import { Link } from '../ui/Link.js';
import { Pager, useCursorPages } from '../ui/Pager.js';
import { Empty, ErrorMessage, Loading, when } from '../ui/Status.js';
import { useDebounced } from '../ui/useDebounced.js';
import { firstCustomersPage } from './customers-query.js';

/**
 * Customers, one page at a time (never the whole table): `customers.list` with `q` as the person
 * types (debounced), and its cursor for the next page; earlier cursors are kept for "Previous".
 */
export function Customers() {
  const [typed, setTyped] = useState('');
  const q = useDebounced(typed.trim(), 250);
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const list = useQuery({
    ...trpc.customers.list.queryOptions({ ...firstCustomersPage, ...(q ? { q } : {}), ...(cursor ? { cursor } : {}) }),
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
            pages.reset();
          }}
        />
      </div>
      <ErrorMessage error={list.error} />
      {list.isPending ? (
        <Loading what="customers" />
      ) : items.length === 0 ? (
        <Empty>{q ? `No customer matches “${q}”.` : 'No customers yet. Create the first one.'}</Empty>
      ) : (
        <DataTable
          label="Customers"
          rows={items}
          rowKey={(c) => c.id}
          columns={[
            { header: 'Name', cell: (c) => <Link to={customerPath(c.email)}>{`${c.firstName} ${c.lastName}`}</Link> },
            { header: 'Email', cell: (c) => c.email },
            { header: 'Company', cell: (c) => c.company ?? '—' },
            { header: 'Updated', cell: (c) => when(c.updatedAt) },
          ]}
        />
      )}
      <Pager back={pages.back} forward={pages.forward(list.data?.nextCursor)} labels={['Previous page', 'Next page']}>
        <span className="muted" role="status">
          {list.isFetching && !list.isPending ? 'Updating…' : `Page ${pages.page}`}
        </span>
      </Pager>
    </>
  );
}

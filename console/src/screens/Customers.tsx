import { queryError } from '@carly/client';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { trpc } from '../carly.js';
import { customerPath } from '../router.js';
import { DataTable } from '../ui/DataTable.js';
import { issuesOf } from '../ui/errors.js';
import { Link } from '../ui/Link.js';
import { Pager, useCursorPages } from '../ui/Pager.js';
import { Empty, ErrorMessage, Loading, when } from '../ui/Status.js';
import { useDebounced } from '../ui/useDebounced.js';
import { BulkExport } from './BulkExport.js';
import { CUSTOMERS_PAGE, firstCustomersPage } from './customers-query.js';

/**
 * Customers, one page at a time (never the whole table). With nothing searched, `customers.list`;
 * with free text (`q`, as the person types, debounced) or an advanced query (the `query`
 * language, checked in the page with the SDK's own parser before it is sent), `customers.search`.
 * Each page's `nextCursor` leads to the next; earlier cursors are kept for "Previous".
 */
export function Customers() {
  const [typed, setTyped] = useState('');
  const q = useDebounced(typed.trim(), 250);
  const [queryText, setQueryText] = useState('');
  const [query, setQuery] = useState('');
  const [syntax, setSyntax] = useState<string | null>(null);
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const searching = q !== '' || query !== '';

  const list = useQuery({
    ...trpc.customers.list.queryOptions({ ...firstCustomersPage, ...(cursor ? { cursor } : {}) }),
    placeholderData: keepPreviousData,
    enabled: !searching,
  });
  const search = useQuery({
    ...trpc.customers.search.queryOptions({ limit: CUSTOMERS_PAGE, ...(q ? { q } : {}), ...(query ? { query } : {}), ...(cursor ? { cursor } : {}) }),
    placeholderData: keepPreviousData,
    enabled: searching,
  });
  const shown = searching ? search : list;
  const items = shown.data?.items ?? [];
  const serverIssue = (path: string) => issuesOf(shown.error).find((i) => i.path === path)?.message;

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const next = queryText.trim();
    // The server's own grammar, run here first: a typo is pointed at (with its position) before any request.
    const error = next === '' ? null : queryError(next);
    setSyntax(error ? `Query ${error.message}` : null);
    if (error) return;
    setQuery(next);
    pages.reset();
  };
  const clear = () => {
    setQueryText('');
    setQuery('');
    setSyntax(null);
    pages.reset();
  };
  const queryProblem = syntax ?? (serverIssue('query') ? `Query: ${serverIssue('query')}` : null);

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
          placeholder="Name, email or company"
          autoComplete="off"
          aria-invalid={serverIssue('q') ? true : undefined}
          onChange={(e) => {
            setTyped(e.target.value);
            pages.reset();
          }}
        />
      </div>
      <form className="search" onSubmit={apply} aria-label="Advanced search">
        <label htmlFor="customer-query">Advanced query</label>
        <p id="customer-query-help" className="muted hint">
          Clauses like <code>name~mull</code>, <code>country:GB</code>, <code>created&gt;=2026-01-05</code>, <code>metadata["plan"]:pro</code>, joined by{' '}
          <code>AND</code>, <code>OR</code>, <code>-</code> and parentheses.
        </p>
        <input
          id="customer-query"
          value={queryText}
          autoComplete="off"
          spellCheck={false}
          className="mono"
          aria-invalid={queryProblem ? true : undefined}
          aria-describedby={queryProblem ? 'customer-query-help customer-query-error' : 'customer-query-help'}
          onChange={(e) => setQueryText(e.target.value)}
        />
        {queryProblem && (
          <p id="customer-query-error" role="alert" className="error">
            {queryProblem}
          </p>
        )}
        <div className="actions">
          <button type="submit">Apply query</button>
          {(query !== '' || queryText !== '') && (
            <button type="button" className="secondary" onClick={clear}>
              Clear query
            </button>
          )}
        </div>
      </form>
      {!queryProblem && <ErrorMessage error={shown.error} />}
      {shown.isPending && !shown.error ? (
        <Loading what="customers" />
      ) : items.length === 0 ? (
        shown.error ? null : (
          <Empty>
            {searching
              ? `No customer matches ${[q && `“${q}”`, query && `the query ${query}`].filter(Boolean).join(' and ')}.`
              : 'No customers yet. Create the first one.'}
          </Empty>
        )
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
      <Pager back={pages.back} forward={pages.forward(shown.data?.nextCursor)} labels={['Previous page', 'Next page']}>
        <span className="muted" role="status">
          {shown.isFetching && !shown.isPending ? 'Updating…' : `Page ${pages.page}`}
        </span>
      </Pager>
      <BulkExport query={query} />
    </>
  );
}

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { trpc } from '../carly.js';
import { DataTable } from '../ui/DataTable.js';
import { Pager, useCursorPages } from '../ui/Pager.js';
import { actorText, Empty, ErrorMessage, Loading, when } from '../ui/Status.js';

interface Filters {
  actor?: string;
  target?: string;
  action?: string;
  since?: Date;
  until?: Date;
}

/** The audit log, newest first, filtered by actor, target, action and time; paged by cursor. */
export function AuditLog() {
  const [filters, setFilters] = useState<Filters>({});
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const log = useQuery({ ...trpc.audit.list.queryOptions({ limit: 50, ...filters, ...(cursor ? { cursor } : {}) }), placeholderData: keepPreviousData });

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim() || undefined;
    const day = (name: string, end: boolean) => {
      const v = text(name);
      return v ? new Date(`${v}T${end ? '23:59:59.999' : '00:00:00'}Z`) : undefined;
    };
    const next: Filters = {};
    for (const [k, v] of Object.entries({
      actor: text('actor'),
      target: text('target'),
      action: text('action'),
      since: day('since', false),
      until: day('until', true),
    })) {
      if (v !== undefined) (next as Record<string, unknown>)[k] = v;
    }
    setFilters(next);
    pages.reset();
  };

  return (
    <>
      <h1>Audit log</h1>
      <form onSubmit={apply} className="filters" aria-label="Filters">
        <div className="field">
          <label htmlFor="f-actor">Actor (email or id)</label>
          <input id="f-actor" name="actor" />
        </div>
        <div className="field">
          <label htmlFor="f-target">Target id</label>
          <input id="f-target" name="target" />
        </div>
        <div className="field">
          <label htmlFor="f-action">Action (e.g. auth.*)</label>
          <input id="f-action" name="action" />
        </div>
        <div className="field">
          <label htmlFor="f-since">From (day)</label>
          <input id="f-since" name="since" type="date" />
        </div>
        <div className="field">
          <label htmlFor="f-until">Until (day)</label>
          <input id="f-until" name="until" type="date" />
        </div>
        <button type="submit">Apply filters</button>
      </form>
      <ErrorMessage error={log.error} />
      {log.isPending ? (
        <Loading what="the audit log" />
      ) : !log.data?.items.length ? (
        <Empty>No entries match.</Empty>
      ) : (
        <DataTable
          label="Audit entries"
          rows={log.data.items}
          rowKey={(e) => e.id}
          columns={[
            { header: 'When', cell: (e) => when(e.at) },
            { header: 'Action', cell: (e) => e.action },
            { header: 'Outcome', cell: (e) => e.outcome },
            { header: 'Actor', cell: actorText, className: 'wrap' },
            { header: 'Target', cell: (e) => (e.target ? `${e.target.type} ${e.target.id}` : '—'), className: 'mono' },
            { header: 'Address', cell: (e) => e.ip ?? '—' },
          ]}
        />
      )}
      <Pager back={pages.back} forward={pages.forward(log.data?.nextCursor)} labels={['Newer entries', 'Older entries']} />
    </>
  );
}

import type { ReactNode } from 'react';
import { TableBox } from './Status.js';

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  /** `wrap` for long values (URLs, user agents), `mono` for ids. */
  className?: string;
}

/** A table of rows in a focusable, labelled region that scrolls sideways on a phone. */
export function DataTable<T>({ label, columns, rows, rowKey }: { label: string; columns: Column<T>[]; rows: readonly T[]; rowKey: (row: T) => string }) {
  return (
    <TableBox label={label}>
      <table>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.header}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.header} className={c.className}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableBox>
  );
}

import type { Customer } from '@carly/client';
import type { carly } from '../carly.js';

type UpdateInput = Parameters<typeof carly.customers.update>[0];
const FIELDS = ['firstName', 'lastName', 'phone', 'company', 'address', 'metadata'] as const;
const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** A stale version (409): the person's change beside the record as it is now, to reapply or drop. */
export function Conflict(props: { mine: UpdateInput; theirs: Customer; onReapply: () => void; onDiscard: () => void }) {
  return (
    <section aria-labelledby="conflict-title" className="conflict">
      <h2 id="conflict-title">Someone else changed this customer</h2>
      <p role="alert">
        Your changes were made to version {props.mine.version}, but the record is now at version {props.theirs.version}. Nothing was saved. Compare, then
        reapply your changes on top of the current version or discard them.
      </p>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a table that scrolls sideways must be reachable by keyboard (axe: scrollable-region-focusable) */}
      <section className="table-box" tabIndex={0} aria-label="Your changes and the current version">
        <table>
          <thead>
            <tr>
              <th scope="col">Field you changed</th>
              <th scope="col">Your change</th>
              <th scope="col">Current (version {props.theirs.version})</th>
            </tr>
          </thead>
          <tbody>
            {FIELDS.filter((f) => f in props.mine).map((f) => (
              <tr key={f} className={show(props.mine[f]) !== show(props.theirs[f]) ? 'differs' : undefined}>
                <th scope="row">{f}</th>
                <td>{show(props.mine[f])}</td>
                <td>{show(props.theirs[f])}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <div className="actions">
        <button type="button" onClick={props.onReapply}>
          Reapply my changes
        </button>
        <button type="button" className="secondary" onClick={props.onDiscard}>
          Discard my changes
        </button>
      </div>
    </section>
  );
}

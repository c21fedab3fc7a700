import { ErrorMessage } from './Status.js';

/** The end of a create form: what the schema refused, what the server answered, and the button. */
export function FormEnd({ problem, error, busy, label }: { problem: string | null; error: unknown; busy: boolean; label: string }) {
  return (
    <>
      {problem && (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
      <ErrorMessage error={error} />
      <button type="submit" disabled={busy}>
        {label}
      </button>
    </>
  );
}

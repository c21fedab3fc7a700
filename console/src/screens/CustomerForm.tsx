import { type FormEvent, useState } from 'react';
import type { z } from 'zod';
import { issuesOf } from '../ui/errors.js';
import { ErrorMessage } from '../ui/Status.js';
import { type CustomerFields, fieldOfIssue, inputOf } from './customer-form.js';

type Errors = Partial<Record<keyof CustomerFields | 'form', string>>;

const LABELS: [keyof CustomerFields, string, string?][] = [
  ['firstName', 'First name', 'given-name'],
  ['lastName', 'Last name', 'family-name'],
  ['phone', 'Phone', 'tel'],
  ['company', 'Company', 'organization'],
  ['line1', 'Address line 1', 'address-line1'],
  ['line2', 'Address line 2', 'address-line2'],
  ['city', 'City', 'address-level2'],
  ['region', 'Region', 'address-level1'],
  ['postalCode', 'Postal code', 'postal-code'],
  ['country', 'Country (two letters, e.g. GB)', 'country'],
];

export function errorsFromIssues(issues: readonly { path: string | (string | number)[]; message: string }[]): Errors {
  const errors: Errors = {};
  for (const issue of issues) {
    const path = Array.isArray(issue.path) ? issue.path.join('.') : issue.path;
    const field = fieldOfIssue(path);
    errors[field] ??= issue.message;
  }
  return errors;
}

/**
 * The customer form for create and edit: checked with the shared zod schema before sending (the
 * same messages the server would give), and the server's own field issues shown beside their fields.
 */
export function CustomerForm(props: {
  initial: CustomerFields;
  schema: z.ZodType;
  emailEditable: boolean;
  submitLabel: string;
  toInput: (input: ReturnType<typeof inputOf>) => unknown;
  onSubmit: (input: unknown) => Promise<unknown>;
  onCancel?: () => void;
}) {
  const [fields, setFields] = useState(props.initial);
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFailure(null);
    const input = props.toInput(inputOf(fields));
    const checked = props.schema.safeParse(input);
    if (!checked.success) {
      setErrors(errorsFromIssues(checked.error.issues.map((i) => ({ path: i.path.map(String), message: i.message }))));
      return;
    }
    setErrors({});
    setBusy(true);
    try {
      await props.onSubmit(input);
    } catch (err) {
      const issues = issuesOf(err);
      if (issues.length) setErrors(errorsFromIssues(issues));
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  const field = (name: keyof CustomerFields, label: string, autoComplete?: string, multiline = false) => {
    const id = `field-${name}`;
    const error = errors[name];
    const common = {
      id,
      name,
      value: fields[name],
      'aria-invalid': error ? true : undefined,
      'aria-describedby': error ? `${id}-error` : undefined,
    } as const;
    return (
      <div className="field" key={name}>
        <label htmlFor={id}>{label}</label>
        {multiline ? (
          <textarea {...common} rows={4} onChange={(e) => setFields({ ...fields, [name]: e.target.value })} />
        ) : (
          <input {...common} autoComplete={autoComplete} onChange={(e) => setFields({ ...fields, [name]: e.target.value })} />
        )}
        {error && (
          <p id={`${id}-error`} className="error">
            {error}
          </p>
        )}
      </div>
    );
  };

  return (
    <form onSubmit={submit} noValidate className="customer-form">
      {props.emailEditable && field('email', 'Email', 'email')}
      <div className="grid">{LABELS.map(([name, label, ac]) => field(name, label, ac))}</div>
      {field('metadata', 'Metadata (one key=value per line)', undefined, true)}
      {errors.form && <p className="error">{errors.form}</p>}
      <ErrorMessage error={failure} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" className="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

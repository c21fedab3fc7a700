import { type FormEvent, useState } from 'react';
import { logIn } from '../auth-state.js';
import { carly } from '../carly.js';
import { SessionError } from '../session.js';
import { describeError } from '../ui/errors.js';

function sessionErrorText(err: unknown): string {
  if (err instanceof SessionError) {
    if (err.status === 429) return `Too many attempts. Try again in ${err.retryAfter ?? 60} seconds.`;
    if (err.status === 401) return 'The email or the password is wrong.';
    if (err.status === 400) return 'Enter an email address and a password.';
    return err.message;
  }
  return describeError(err);
}

/** Sign in; the forgotten-password request; links to the pages the mails lead to. */
export function SignIn({ notice }: { notice?: string | undefined }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [resetSent, setResetSent] = useState<string | null>(null);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await logIn(String(form.get('email') ?? ''), String(form.get('password') ?? ''));
    } catch (err) {
      setError(sessionErrorText(err));
    } finally {
      setBusy(false);
    }
  };

  const requestReset = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const email = String(new FormData(event.currentTarget).get('resetEmail') ?? '');
    try {
      await carly.auth.requestPasswordReset({ email });
      setResetSent('If an account has this email, a link to set a new password is on its way. It opens the reset page.');
    } catch (err) {
      setResetSent(describeError(err));
    }
  };

  return (
    <main id="main" className="signin">
      <h1>Sign in to Carly</h1>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit} noValidate aria-describedby={error ? 'signin-error' : undefined}>
        <label htmlFor="email">Email</label>
        <input id="email" name="email" type="email" autoComplete="username" required />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        {error && (
          <p id="signin-error" role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      <details>
        <summary>Forgot your password?</summary>
        <form onSubmit={requestReset}>
          <label htmlFor="resetEmail">Email for the reset link</label>
          <input id="resetEmail" name="resetEmail" type="email" autoComplete="email" required />
          <button type="submit">Send reset link</button>
          {resetSent && <p role="status">{resetSent}</p>}
        </form>
      </details>
      <p className="muted">
        Have a link from one of our mails? <a href="/reset">Set a new password</a> or <a href="/verify">confirm your address to claim your record</a> (the link
        in the mail fills in its code).
      </p>
    </main>
  );
}

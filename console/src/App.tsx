import { useEffect } from 'react';
import { logOut, startSession, useAuth } from './auth-state.js';
import { useLiveChanges } from './live.js';
import { customerPath, useLocation } from './router.js';
import { ApiKeys } from './screens/ApiKeys.js';
import { AuditLog } from './screens/AuditLog.js';
import { CustomerCreate } from './screens/CustomerCreate.js';
import { CustomerPage } from './screens/CustomerPage.js';
import { Customers } from './screens/Customers.js';
import { SignIn } from './screens/SignIn.js';
import { WebhookPage } from './screens/WebhookPage.js';
import { Webhooks } from './screens/Webhooks.js';
import { Link } from './ui/Link.js';
import { Loading } from './ui/Status.js';

const ADMIN_NAV: [string, string][] = [
  ['/customers', 'Customers'],
  ['/api-keys', 'API keys'],
  ['/webhooks', 'Webhooks'],
  ['/audit', 'Audit log'],
];

export function App() {
  const auth = useAuth();
  const { path } = useLocation();
  useEffect(() => void startSession(), []);
  const live = useLiveChanges(auth.status === 'signedIn');

  if (auth.status === 'starting') return <Loading what="the console" />;
  if (auth.status === 'signedOut') return <SignIn notice={auth.notice} />;

  const admin = auth.user.role === 'admin';
  const ownEmail = auth.customer?.email ?? null;
  const nav: [string, string][] = admin ? ADMIN_NAV : ownEmail ? [[customerPath(ownEmail), 'My record']] : [];
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Carly console</span>
        <nav aria-label="Main">
          <ul>
            {nav.map(([to, label]) => (
              <li key={to}>
                <Link to={to} current={path === to || path.startsWith(`${to}/`)}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className={`live live-${live}`} role="status">
            {live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Live updates stopped'}
          </span>
          <span className="muted">{auth.user.email}</span>
          <button type="button" onClick={() => void logOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {admin ? <AdminRoutes path={path} /> : <CustomerRoutes path={path} ownEmail={ownEmail} />}
      </main>
    </>
  );
}

function AdminRoutes({ path }: { path: string }) {
  if (path === '/' || path === '/customers') return <Customers />;
  if (path === '/customers/new') return <CustomerCreate />;
  if (path.startsWith('/customers/')) return <CustomerPage email={decodeURIComponent(path.slice('/customers/'.length))} admin />;
  if (path === '/api-keys') return <ApiKeys />;
  if (path === '/webhooks') return <Webhooks />;
  if (path.startsWith('/webhooks/')) return <WebhookPage id={decodeURIComponent(path.slice('/webhooks/'.length))} />;
  if (path === '/audit') return <AuditLog />;
  return <NotFound />;
}

/** A customer sees their own record (with their sessions and export), nothing else. */
function CustomerRoutes({ path, ownEmail }: { path: string; ownEmail: string | null }) {
  if (!ownEmail) {
    return (
      <>
        <h1>No record yet</h1>
        <p>Your account is not linked to a customer record yet: confirm your address with the link we mailed you.</p>
      </>
    );
  }
  if (path === '/' || path === customerPath(ownEmail)) return <CustomerPage email={ownEmail} admin={false} />;
  return <NotFound />;
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <Link to="/">Go to the start page</Link>
      </p>
    </>
  );
}

import { lazy, Suspense, useEffect } from 'react';
import { logOut, startSession, useAuth } from './auth-state.js';
import { useLiveChanges } from './live.js';
import { customerPath, useLocation } from './router.js';
import { SignIn } from './screens/SignIn.js';
import { Link } from './ui/Link.js';
import { Loading } from './ui/Status.js';

// One chunk per screen, fetched when first shown: the sign-in screen and the shell load only what
// they use (the SDK's schemas for forms, the webhook and key screens come later, and in parallel).
const ApiKeys = lazy(() => import('./screens/ApiKeys.js').then((m) => ({ default: m.ApiKeys })));
const AuditLog = lazy(() => import('./screens/AuditLog.js').then((m) => ({ default: m.AuditLog })));
const CustomerCreate = lazy(() => import('./screens/CustomerCreate.js').then((m) => ({ default: m.CustomerCreate })));
const CustomerPage = lazy(() => import('./screens/CustomerPage.js').then((m) => ({ default: m.CustomerPage })));
const Customers = lazy(() => import('./screens/Customers.js').then((m) => ({ default: m.Customers })));
const WebhookPage = lazy(() => import('./screens/WebhookPage.js').then((m) => ({ default: m.WebhookPage })));
const Webhooks = lazy(() => import('./screens/Webhooks.js').then((m) => ({ default: m.Webhooks })));

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
        <Suspense fallback={<Loading what="the page" />}>{admin ? <AdminRoutes path={path} /> : <CustomerRoutes path={path} ownEmail={ownEmail} />}</Suspense>
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

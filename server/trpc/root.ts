import { apiKeysRouter } from '../api-keys/api-keys.router.js';
import { auditRouter } from '../audit/audit.router.js';
import { authRouter } from '../auth/auth.router.js';
import { customersRouter } from '../customers/customers.router.js';
import { eventsRouter } from '../events/events.router.js';
import { webhooksRouter } from '../webhooks/webhooks.router.js';
import { router } from './init.js';

export const appRouter = router({
  auth: authRouter,
  customers: customersRouter,
  apiKeys: apiKeysRouter,
  webhooks: webhooksRouter,
  audit: auditRouter,
  events: eventsRouter,
});

export type AppRouter = typeof appRouter;

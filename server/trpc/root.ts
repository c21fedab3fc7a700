import { authRouter } from '../auth/auth.router.js';
import { customersRouter } from '../customers/customers.router.js';
import { router } from './init.js';

export const appRouter = router({
  auth: authRouter,
  customers: customersRouter,
});

export type AppRouter = typeof appRouter;

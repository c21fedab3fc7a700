import { authRouter } from '../auth/auth.router.js';
import { customersRouter } from '../customers/customers.router.js';
import { createCallerFactory, router } from './init.js';

export const appRouter = router({
  auth: authRouter,
  customers: customersRouter,
});

export type AppRouter = typeof appRouter;
/** Calls procedures in-process (tests, scripts) with a hand-built context. */
export const createCaller = createCallerFactory(appRouter);

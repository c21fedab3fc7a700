/*
 * The server's router type. Only its type crosses over: at build time the declarations are
 * bundled into the package's index.d.ts (the server's request context erased), so the
 * published package never points into the server's source.
 */
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter as ServerRouter } from '../../server/trpc/root.js';

/** The Carly tRPC router, for `createTRPCClient<AppRouter>` and tRPC's type helpers. */
export type AppRouter = ServerRouter;

/** Every procedure's input, by path: `RouterInputs['customers']['create']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output (dates as `Date`), by path: `RouterOutputs['customers']['get']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

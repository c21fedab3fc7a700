import type { AnyTRPCProcedure } from '@trpc/server';
import { PROCEDURES } from './procedures.gen.js';
import type { AppRouter } from './router.js';

export { PROCEDURES };
export type ProcedurePath = keyof typeof PROCEDURES;

/** `{ 'auth.login': 'mutation', ... }` computed from the router type. */
type RouterKinds<TRecord, TPrefix extends string = ''> = {
  [K in keyof TRecord & string]: TRecord[K] extends AnyTRPCProcedure
    ? { [P in `${TPrefix}${K}`]: TRecord[K]['_def']['type'] }
    : RouterKinds<TRecord[K], `${TPrefix}${K}.`>;
}[keyof TRecord & string];

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

type FromRouter = UnionToIntersection<RouterKinds<AppRouter['_def']['record']>>;
type FromList = { [K in keyof typeof PROCEDURES]: (typeof PROCEDURES)[K]['type'] };

/**
 * The generated list and the router agree both ways: a procedure missing from the list, one
 * that no longer exists, or a query listed as a mutation is a compile error. Fix it with
 * `npm run generate`.
 */
export type ProceduresMatchRouter = Assert<Same<FromRouter, FromList>>;

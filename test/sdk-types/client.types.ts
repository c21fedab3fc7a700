/**
 * Type tests for the SDK, compiled (never run) twice: in the repo against client-sdk/src by
 * `tsc -p .`, and by sdk-package.test.ts against the packed package, with the import below
 * rewritten to '@carly/client'. Every `@ts-expect-error` must be an error, or compiling fails.
 */
import {
  type AppRouter,
  type CarlyClient,
  type CarlyError,
  type Customer,
  type CustomerCreateData,
  CustomerCreateInput,
  createCarlyClient,
  isCarlyError,
  type RouterInputs,
  type RouterOutputs,
  type Session,
  type Tokens,
  type User,
} from '../../client-sdk/src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_proof?: T) => undefined;

export async function typeTests(carly: CarlyClient): Promise<void> {
  // Outputs carry real Dates.
  const created = await carly.customers.create({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' });
  expectType<Equal<typeof created, Customer>>();
  expectType<Equal<typeof created.createdAt, Date>>();
  expectType<Equal<typeof created.updatedAt, Date>>();
  expectType<Equal<typeof created.phone, string | null>>();
  expectType<
    Equal<
      (typeof created)['address'],
      { line1: string; line2: string | null; city: string; region: string | null; postalCode: string | null; country: string } | null
    >
  >();
  const page = await carly.customers.list({ limit: 10, q: 'ada' });
  expectType<Equal<typeof page.nextCursor, string | null>>();
  expectType<Equal<(typeof page.items)[number], Customer>>();
  for await (const c of carly.customers.iterate({ q: 'ada' })) expectType<Equal<typeof c, Customer>>();
  const { user, tokens } = await carly.auth.login({ email: 'ada@example.com', password: 'correct horse' });
  expectType<Equal<typeof user, User>>();
  expectType<Equal<typeof user.createdAt, Date>>();
  expectType<Equal<typeof tokens, Tokens>>();
  const me = await carly.auth.me();
  expectType<Equal<typeof me.customer, Customer | null>>();
  const sessions = await carly.auth.sessions();
  expectType<Equal<(typeof sessions.items)[number], Session>>();
  expectType<Equal<(typeof sessions.items)[number]['lastUsedAt'], Date>>();
  const deleted = await carly.customers.delete({ email: 'ada@example.com' });
  expectType<Equal<typeof deleted, { deleted: true; email: string }>>();
  expectType<Equal<RouterOutputs['customers']['get'], Customer>>();
  expectType<Equal<RouterInputs['customers']['create'], CustomerCreateInput>>();
  expectType<Equal<AppRouter['_def']['_config']['$types']['transformer'], true>>();

  // Optional inputs may be left out; required ones may not.
  await carly.customers.list();
  await carly.auth.logout();
  // @ts-expect-error: get needs { email }
  await carly.customers.get();
  // @ts-expect-error: firstName and lastName are required
  await carly.customers.create({ email: 'ada@example.com' });
  // @ts-expect-error: unknown fields are refused
  await carly.customers.create({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace', nickname: 'A' });
  // @ts-expect-error: version is a number
  await carly.customers.update({ email: 'ada@example.com', version: '2' });
  // @ts-expect-error: metadata values are strings
  await carly.customers.update({ email: 'ada@example.com', metadata: { plan: 1 } });
  // @ts-expect-error: not a sort key
  await carly.customers.list({ sort: 'firstName' });
  // @ts-expect-error: iterate manages the cursor itself
  carly.customers.iterate({ cursor: 'abc' });
  // @ts-expect-error: login needs a password
  await carly.auth.login({ email: 'ada@example.com' });
  // @ts-expect-error: no such procedure
  await carly.customers.upsert({ email: 'ada@example.com' });
  // @ts-expect-error: outputs are typed, createdAt is no string
  const s: string = created.createdAt;
  void s;

  // The raw tRPC proxy is typed too.
  const raw = await carly.trpc.customers.get.query({ email: 'ada@example.com' });
  expectType<Equal<typeof raw.createdAt, Date>>();
  // @ts-expect-error: create is a mutation
  await carly.trpc.customers.create.query({ email: 'ada@example.com', firstName: 'Ada', lastName: 'Lovelace' });

  // Errors.
  try {
    await carly.customers.get({ email: 'ada@example.com' });
  } catch (err) {
    if (isCarlyError(err)) {
      expectType<Equal<typeof err, CarlyError>>();
      const status: number = err.status;
      const issue: { path: string; message: string } | undefined = err.issues[0];
      if (err.code === 'CONFLICT' || err.code === 'NETWORK_ERROR') void [status, issue];
      // @ts-expect-error: not an error code
      if (err.code === 'STALE') void 0;
    }
  }

  // The shared schemas: parse form input with the server's rules.
  const parsed = CustomerCreateInput.parse({ email: ' Ada@Example.com ', firstName: 'Ada', lastName: 'Lovelace' });
  expectType<Equal<typeof parsed, CustomerCreateData>>();
  expectType<Equal<typeof parsed.metadata, Record<string, string>>>();
}

// Options.
createCarlyClient({ url: 'http://127.0.0.1:8000' });
createCarlyClient({
  url: 'http://127.0.0.1:8000',
  fetch: (input, init) => fetch(input, init),
  tokens: { accessToken: 'a', refreshToken: 'r' },
  onTokens: async (t: Tokens | null) => void t,
});
// @ts-expect-error: url is required
createCarlyClient({});
// @ts-expect-error: tokens need both parts
createCarlyClient({ url: 'http://127.0.0.1:8000', tokens: { accessToken: 'a' } });

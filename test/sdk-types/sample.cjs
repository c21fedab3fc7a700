// The CommonJS build, as a `require` user sees it (sdk-package.test.ts runs it in a fresh project).
const assert = require('node:assert/strict');
const { createCarlyClient, isCarlyError, CustomerSchema } = require('@carly/client');

(async () => {
  const carly = createCarlyClient({ url: process.env.CARLY_URL });
  await carly.auth.login({ email: process.env.CARLY_EMAIL, password: process.env.CARLY_PASSWORD });
  const me = await carly.auth.me();
  assert.ok(me.user.createdAt instanceof Date, 'superjson revives Dates in the CJS build');
  assert.equal(typeof CustomerSchema.parse, 'function');
  await assert.rejects(carly.customers.get({ email: 'nobody-cjs@example.com' }), (err) => isCarlyError(err) && err.code === 'NOT_FOUND' && err.status === 404);
  console.log(JSON.stringify({ step: 'cjs', role: me.user.role }));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});

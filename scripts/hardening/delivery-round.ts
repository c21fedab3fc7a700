/**
 * The crash test's webhook round: customers are created while a webhook receiver (on loopback)
 * answers slowly, the server is SIGKILLed mid-delivery twice and restarted; in the end every
 * acknowledged change must have reached the receiver, correctly signed (at least once: the
 * receiver dedupes on webhook-id, so repeats are counted, not failures).
 * The site must allow private networks and use a short lease (see crash-test.ts).
 */
import { Receiver, verifyReceived } from '../../test/helpers/webhook-receiver.js';
import { adminLogin, type Site, sleep, start } from './spawned.js';

export interface DeliveryRoundResult {
  acknowledged: number;
  delivered: number;
  lost: number;
  repeats: number;
  badSignatures: number;
}

async function post(url: string, token: string, path: string, body: unknown) {
  const r = await fetch(url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: r.status, body: (await r.json().catch(() => null)) as any };
}

export async function deliveryRound(site: Site, random: () => number, log: (line: string) => void): Promise<DeliveryRoundResult> {
  // Slow answers, so attempts are on the wire when the kill comes.
  const receiver = await Receiver.start(() => ({ status: 200, delayMs: Math.floor(random() * 300) }));
  const acked = new Set<string>();
  let server = await start(site);
  try {
    let token = await adminLogin(server.url);
    const created = await post(server.url, token, '/webhooks', { url: receiver.url(), events: ['customer.created'] });
    if (created.status !== 200) throw new Error(`creating the webhook: ${created.status} ${JSON.stringify(created.body)}`);
    const secret = created.body.secret as string;
    for (let kill = 1; kill <= 2; kill++) {
      let stopped = false;
      const work = Array.from({ length: 4 }, async (_, w) => {
        for (let n = 0; !stopped; n++) {
          try {
            const r = await post(server.url, token, '/customers', {
              email: `hook-k${kill}-w${w}-${n}-${Date.now()}@example.com`,
              firstName: 'Hook',
              lastName: 'Round',
            });
            if (r.status === 200) acked.add(r.body.id as string);
          } catch {
            await sleep(5);
          }
        }
      });
      await sleep(400 + Math.floor(random() * 1200));
      server.child.kill('SIGKILL');
      await server.exited;
      stopped = true;
      await Promise.all(work);
      log(`webhook round: killed mid-delivery (${kill}); ${acked.size} changes acknowledged, ${receiver.received.length} deliveries received so far`);
      server = await start(site);
      token = await adminLogin(server.url);
    }
    // Killed claims come back once their lease runs out (seconds, with the crash test's settings).
    const deliveredIds = () => new Set(receiver.received.map((r) => (JSON.parse(r.body) as { data: { customer: { id: string } } }).data.customer.id));
    const until = Date.now() + 60_000;
    while (Date.now() < until && [...acked].some((id) => !deliveredIds().has(id))) await sleep(250);
    await sleep(500);
    let badSignatures = 0;
    for (const r of receiver.received) {
      try {
        verifyReceived(secret, r);
      } catch {
        badSignatures++;
      }
    }
    const delivered = deliveredIds();
    const ids = receiver.received.map((r) => String(r.headers['webhook-id']));
    return {
      acknowledged: acked.size,
      delivered: [...acked].filter((id) => delivered.has(id)).length,
      lost: [...acked].filter((id) => !delivered.has(id)).length,
      repeats: ids.length - new Set(ids).size,
      badSignatures,
    };
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
    await receiver.close();
  }
}

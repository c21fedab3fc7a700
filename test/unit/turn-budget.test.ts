import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerTurnBudget } from '../../server/http/turn-budget.js';

/** Counts event-loop turns: one step per check phase, as long as `running`. */
function turnCounter() {
  let turn = 0;
  let running = true;
  const tick = () => {
    turn++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turn, stop: () => (running = false) };
}

describe('registerTurnBudget', () => {
  let app: ReturnType<typeof Fastify> | undefined;
  afterEach(async () => app?.close());

  const serve = async (perTurn: number | null) => {
    app = Fastify();
    if (perTurn !== null) registerTurnBudget(app, perTurn);
    const turns = turnCounter();
    const startedIn: number[] = [];
    app.get('/', async () => {
      startedIn.push(turns.now());
      return 'ok';
    });
    await app.ready();
    // Seven requests that all arrive in the same turn, answered in arrival order.
    const answers = await Promise.all(Array.from({ length: 7 }, (_, i) => app!.inject({ method: 'GET', url: `/?n=${i}` })));
    turns.stop();
    for (const a of answers) expect(a.statusCode).toBe(200);
    return startedIn;
  };

  it('starts at most perTurn requests per event-loop turn, the rest in the next turns, in order', async () => {
    const startedIn = await serve(3);
    const perTurn = new Map<number, number>();
    for (const t of startedIn) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect([...perTurn.values()]).toEqual([3, 3, 1]);
    expect(startedIn).toEqual([...startedIn].sort((a, b) => a - b));
  });

  it('without it, the same seven start in one turn (what the budget changes)', async () => {
    const startedIn = await serve(null);
    expect(new Set(startedIn).size).toBe(1);
  });
});

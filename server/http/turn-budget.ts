import type { FastifyInstance } from 'fastify';

/**
 * At most `perTurn` requests start their work per event-loop turn; the others wait, in arrival
 * order, for the next turns. Why: libuv (Node ≥ 20.3) accepts ONE new connection per turn, and a
 * saturated server's turn runs every request that is ready (50 busy keep-alive connections ×
 * ~200 µs), so 50 new connections waited 50 such turns for their first answer (docs/performance.md,
 * "runtime"). With a budget a turn stays short, new connections are accepted sooner, and a request
 * that waits costs a closure and a queue slot. Nothing changes below the budget: an unsaturated
 * server never parks a request.
 */
export function registerTurnBudget(http: FastifyInstance, perTurn: number): void {
  let started = 0;
  let scheduled = false;
  const waiting: (() => void)[] = [];
  let head = 0;

  const newTurn = () => {
    scheduled = false;
    started = 0;
    // Runs in the check phase: the turn's I/O (one accept, the sockets' reads) is done.
    while (head < waiting.length && started < perTurn) {
      started++;
      const resume = waiting[head]!;
      waiting[head++] = noop;
      resume();
    }
    if (head === waiting.length) {
      waiting.length = 0;
      head = 0;
    }
    // A setImmediate queued from the check phase runs in the NEXT turn's check phase, after its poll.
    if (started > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(newTurn);
  };

  http.addHook('onRequest', (_request, _reply, done) => {
    schedule();
    if (started < perTurn && head === waiting.length) {
      started++;
      done();
    } else {
      waiting.push(done);
    }
  });
}

const noop = () => {};

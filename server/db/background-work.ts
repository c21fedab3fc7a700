import { AsyncLocalStorage } from 'node:async_hooks';

const background = new AsyncLocalStorage<true>();

/**
 * Runs `fn` as the server's own background work (webhook fan-out and delivery): its database
 * statements, however deep, are not counted as requests' statements (App.queryCount), so a test
 * can say "this request did not touch the database" while the loops poll.
 */
export const runInBackground = <T>(fn: () => T): T => background.run(true, fn);

export const inBackground = (): boolean => background.getStore() === true;

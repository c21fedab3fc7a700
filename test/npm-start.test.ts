/**
 * `npm start` exactly as an operator (or a container runtime, or a process manager) runs it: the
 * SIGTERM goes to the very process `npm start` created, npm forwards it to its child, which is the
 * server itself (`exec node dist/server/main.js`: no shell or tsx in between that would die and
 * orphan it). The server answers the request in flight, logs "stopped", and everyone exits 0.
 *
 * Runs in the SQLite project only: `npm start` compiles into dist/ first (prestart), and the
 * PostgreSQL project runs beside it; two builds writing dist/ at once could hand node a file half
 * written. The graceful stop itself is tested on both databases by test/shutdown.test.ts.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ROOT } from './helpers/process.js';
import { newCustomer, rest, TEST_ADMIN, tempDir, usingPostgres } from './helpers/server.js';

interface LogLine {
  msg: string;
  pid: number;
  url?: string;
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(usingPostgres())(`npm start${usingPostgres() ? ' (skipped: SQLite project only, as it builds dist/)' : ''}`, () => {
  it('stops on a SIGTERM sent to the npm process: request in flight answered, "stopped" logged, exit 0', async () => {
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: tempDir(),
        DATABASE_URL: '',
        LOG_LEVEL: 'info',
        SEED_SAMPLE_DATA: 'false',
        BCRYPT_COST: '4',
        ADMIN_EMAIL: TEST_ADMIN.email,
        ADMIN_PASSWORD: TEST_ADMIN.password,
        // Generous: exit code 0 below then also proves the stop came before this timeout.
        SHUTDOWN_TIMEOUT_MS: '20000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    let serverPid: number | undefined;
    onTestFinished(() => {
      if (npm.exitCode === null) npm.kill('SIGKILL');
      // Were the signal not to reach it, the server would outlive npm: never leave it serving.
      if (serverPid !== undefined && isAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
    });
    let output = '';
    npm.stdout.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const logLines = (): LogLine[] =>
      output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine);

    // The build (prestart) comes first: a cold one took 59 s on the busy 2-core machine; one with
    // nothing to do (dist/ up to date, `tsc -b`) about a second.
    const deadline = Date.now() + 240_000;
    let serving: LogLine | undefined;
    while (!(serving = logLines().find((l) => l.url)) && Date.now() < deadline && npm.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!serving) throw new Error(`npm start did not serve:\n${output}`);
    serverPid = serving.pid;
    expect(serverPid).not.toBe(npm.pid);
    expect(output).toContain('> tsc -b tsconfig.build.json');

    const base = serving.url!;
    const token = (await rest(base, 'POST', '/auth/login', TEST_ADMIN)).body.tokens.accessToken as string;
    const url = new URL(base);
    const body = JSON.stringify(newCustomer());
    // A slow request: half its body now, SIGTERM to npm, the rest well after the server's grace period.
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/customers',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
        },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        expect(npm.kill('SIGTERM')).toBe(true);
        setTimeout(() => req.end(body.slice(10)), 1500);
      }, 300);
    });

    const done = await answer;
    expect(done.status).toBe(200);
    expect(JSON.parse(done.body).email).toBe(JSON.parse(body).email);
    expect(await exited).toBe(0);
    const said = logLines()
      .filter((l) => l.pid === serverPid)
      .map((l) => l.msg);
    expect(said.at(-1)).toBe('stopped');
    expect(said.indexOf('stopping: no new connections, finishing requests in flight')).toBeGreaterThan(said.indexOf(serving.msg));
    // The server is gone with npm, not left serving as an orphan.
    expect(isAlive(serverPid)).toBe(false);
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  }, 300_000);
});

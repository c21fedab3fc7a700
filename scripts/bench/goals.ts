/**
 * The performance targets of issue 15 ("Performance, second pass"), in one place so every section
 * prints its ratio beside the same number the issue states. Ratios are Carly ÷ baseline for
 * throughput, and baseline µs ÷ Carly µs for server CPU per request (both: higher is better).
 */
export const GOALS = {
  read: {
    /** REST GET /customers/{email} vs bare node:http + better-sqlite3: CPU-per-request ratio (≈ 90 µs) and req/s ratio. */
    restRatio: 0.25,
    /** tRPC customers.get vs the same bare server (≈ 110 µs). */
    trpcRatio: 0.2,
    /** At 50 connections; kept from the first pass. */
    p99Ms: 50,
  },
  postgres: {
    /** GET /customers/{email} on PostgreSQL vs bare node:http + pg running the same prepared query. */
    readRatio: 0.3,
  },
  login: {
    /** Logins/s vs raw bcrypt compares/s with as many in flight as cores. */
    loginRatio: 0.95,
    /** Read p99 during a login flood ÷ idle read p99, at each flood size. */
    floodP99Ratio: 2,
    floodConnections: [50, 200],
  },
  list: {
    /** Server CPU per list page of 50. */
    cpuUsPerPage: 800,
    /** p99 at the large table ÷ p99 at the small one. */
    p99Ratio: 1.2,
  },
  import: {
    rowsPerSecond: 100_000,
    peakRssMb: 200,
  },
  /** Issue 22: writes vs the bare floor doing the same durable work (bare-write-server.ts), server CPU per request. */
  writes: {
    createRatio: 0.35,
    patchRatio: 0.35,
    keyedCreateRatio: 0.3,
    /** POST /customers at 50 steady connections, paced below capacity (sections/writes.ts, pacedCreates). */
    createP99Ms: 60,
  },
  /** Issue 20 (bulk export): Carly rows/s ÷ bare rows/s in the same run; server RSS growth during an export. */
  export: {
    rowsRatio: 0.5,
    rssGrowthMb: 64,
  },
  /** Issue 20 (import over the API): rows/s ÷ a bare insert of the rows and their events; RSS over idle; read p99 during ÷ idle. */
  importApi: {
    rowsRatio: 0.5,
    rssGrowthMb: 64,
    readP99Ratio: 3,
    readConnections: 10,
    readRate: 200,
  },
  /** Issue 9 (machine callers). */
  machine: {
    /** GET /customers/{email} with an API key vs the same read with a JWT. */
    apiKeyReadRatio: 0.95,
    /** POST /customers with an Idempotency-Key vs without. */
    keyedCreateRatio: 0.8,
  },
  /** Issue 19 (search), at 1,000,000 customers, one connection, on each database. */
  search: {
    p95Ms: 50,
    /** Server (+ PostgreSQL backends) CPU per create with the search structures ÷ without them. */
    createCpuRatio: 1.15,
  },
} as const;

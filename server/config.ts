import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_WALK_ROWS } from './search/customer-search.js';
import { DEFAULT_INDEX_DELAY_MS } from './search/search-indexer.js';
import { type TracingConfig, tracingConfig, tracingEnvSchema } from './tracing/tracing-config.js';

const bool = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

/**
 * bcrypt at once: one per core. Hashes run on worker threads that lower their own scheduling
 * priority (auth/hash-workers.ts), so a login flood uses every idle cycle yet the event loop wins
 * the CPU whenever a request arrives. (Before, at normal priority, cores − 1 left a core to the
 * event loop and halved login capacity on 2 cores.)
 */
export const defaultHashConcurrency = () => Math.max(1, os.availableParallelism());

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?|sqlite):\/\//, 'must start with postgres://, postgresql:// or sqlite://')
    .optional(),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(Number.MAX_SAFE_INTEGER)
    .default(1024 * 1024 * 1024),
  CORS_ORIGINS: z.string().default(''),
  TRUST_PROXY: z.string().default(''),
  SEED_SAMPLE_DATA: bool.optional(),
  PUBLIC_URL: z.string().url().optional(),
  RESET_URL: z
    .string()
    .url()
    .regex(/^https?:\/\//, 'must be an http(s) URL')
    .optional(),
  VERIFY_URL: z
    .string()
    .url()
    .regex(/^https?:\/\//, 'must be an http(s) URL')
    .optional(),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  // An idle socket is closed after this; live streams ping every 10 s, so it must be longer (0 = never).
  HTTP_CONNECTION_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .refine((ms) => ms === 0 || ms > 10_000, 'must be 0 (none) or more than 10000 (live streams ping every 10 s)')
    .default(60_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1).max(86_400_000).default(5_000),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  BCRYPT_COST: z.coerce.number().int().min(4).max(15).default(12),
  HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(defaultHashConcurrency()),
  HASH_QUEUE_LIMIT: z.coerce.number().int().min(0).max(10_000).default(64),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must start with smtp:// or smtps://')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Carly <no-reply@carly.local>'),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  SEARCH_WALK_ROWS: z.coerce.number().int().min(0).max(10_000_000).default(DEFAULT_WALK_ROWS),
  SEARCH_INDEX_DELAY_MS: z.coerce.number().int().min(0).max(86_400_000).default(DEFAULT_INDEX_DELAY_MS),
  ADMIN_EMAIL: z.string().email().optional(),
  ADMIN_PASSWORD: z
    .string()
    .min(8, 'must be at least 8 characters')
    .refine((p) => Buffer.byteLength(p, 'utf8') <= 72, 'must be at most 72 bytes of UTF-8 (bcrypt would truncate it)')
    .optional(),
  WEBHOOK_RETRY_DELAYS: z
    .string()
    .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?)*\s*$/, 'must be comma-separated seconds, e.g. 5,300,1800')
    .default('5,300,1800,7200,18000,36000,36000'),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: bool.default(false),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(60).default(15),
  WEBHOOK_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(60),
  ...tracingEnvSchema,
});

/** Every environment variable the configuration reads (the README's table names each). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigSchema.shape);

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  dataDir: string;
  /**
   * `sqlite` with a file path, or `postgresql` with a connection URL, the pool's size and the
   * statement timeout (0 = none; both default in `ormOptions` when left out).
   */
  database: { kind: 'sqlite'; file: string } | { kind: 'postgresql'; url: string; poolMax?: number; statementTimeoutMs?: number };
  logLevel: string;
  bodyLimit: number;
  /** The largest body POST /customers/import reads (it streams; BODY_LIMIT_BYTES does not apply to it). */
  importMaxBytes: number;
  corsOrigins: string[];
  /** Whose X-Forwarded-For to believe: nobody (false), everybody (true), or these addresses/CIDRs. */
  trustProxy: boolean | string[];
  seedSampleData: boolean;
  publicUrl: string;
  /** The page a reset mail links to (`?token=…` is added): `${publicUrl}/reset` unless RESET_URL says otherwise. */
  resetUrl: string;
  /** The page a verification mail links to: `${publicUrl}/verify` unless VERIFY_URL says otherwise. */
  verifyUrl: string;
  shutdownTimeoutMs: number;
  /** Node's HTTP server limits, so slow or idle clients cannot hold sockets forever (0 = none). */
  httpTimeouts: { connectionMs: number; keepAliveMs: number; requestMs: number };
  webhooks: {
    /** Seconds to wait before each retry: the Nth entry follows the Nth failed attempt. */
    retryDelaysSeconds: number[];
    /** Allow deliveries to loopback, private, link-local… addresses (tests, development). */
    allowPrivateNetworks: boolean;
    timeoutMs: number;
    /** How long a claimed delivery stays another instance's before it may be tried again. */
    leaseMs: number;
  };
  /** Audit entries are kept this many days (AUDIT_RETENTION_DAYS), then housekeeping deletes them. */
  audit: { retentionDays: number };
  /**
   * Rows of the created_at index one rank of a search page may walk (SEARCH_WALK_ROWS) before the
   * search sorts the match set instead (search/customer-search.ts); 0 never walks.
   * `indexDelayMs` (SEARCH_INDEX_DELAY_MS): how long new customers gather before the search
   * indexer writes them into the search indexes in one transaction (search/search-indexer.ts);
   * they are found at once either way (its default: search/search-indexer.ts).
   */
  search: { walkRows: number; indexDelayMs: number };
  auth: {
    jwtSecret: string | undefined;
    bcryptCost: number;
    hashConcurrency: number;
    hashQueueLimit: number;
    accessTokenTtlSeconds: number;
    sessionTtlDays: number;
    smtpUrl: string | undefined;
    mailFrom: string;
    adminEmail: string | undefined;
    adminPassword: string | undefined;
  };
  /** OpenTelemetry tracing (server/tracing/); null (off) unless an OTLP endpoint is set. */
  tracing: TracingConfig | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Variables whose value may carry a credential (a password in a URL, a header with a token):
 * their value is never repeated in an error, only their name.
 */
const MAY_HOLD_A_SECRET = /SECRET|PASSWORD|TOKEN|KEY|HEADERS|URL/;

/**
 * One line of a configuration error: the variable, what is wrong, and what it received, so
 * `PORT=abc` reads `PORT: must be a number (got "abc")` rather than zod's "received NaN", which
 * describes the coerced value, not the one the person typed.
 */
function describeIssue(issue: z.core.$ZodIssue, env: Record<string, string | undefined>): string {
  const name = issue.path.join('.');
  const message = issue.code === 'invalid_type' && issue.expected === 'number' ? 'must be a number' : issue.message;
  const raw = env[name];
  return raw === undefined || MAY_HOLD_A_SECRET.test(name) ? `${name}: ${message}` : `${name}: ${message} (got ${JSON.stringify(raw)})`;
}

/** Reads and checks the environment once; a bad value throws a ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `PORT= npm start` means the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${describeIssue(i, present)}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  if (Boolean(c.ADMIN_EMAIL) !== Boolean(c.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration:\n  ADMIN_EMAIL, ADMIN_PASSWORD: set both or neither');
  }
  // A claim must outlive the attempt it covers, or a slow attempt would be sent again.
  if (c.WEBHOOK_LEASE_SECONDS < c.WEBHOOK_TIMEOUT_SECONDS + 5) {
    throw new ConfigError('Invalid configuration:\n  WEBHOOK_LEASE_SECONDS: must be at least WEBHOOK_TIMEOUT_SECONDS + 5');
  }
  const dataDir = path.resolve(c.DATA_DIR);
  const publicUrl = (c.PUBLIC_URL ?? `http://${c.HOST}:${c.PORT}`).replace(/\/$/, '');
  let database: Config['database'];
  if (!c.DATABASE_URL) database = { kind: 'sqlite', file: path.join(dataDir, 'carly.sqlite') };
  else if (c.DATABASE_URL.startsWith('sqlite://')) database = { kind: 'sqlite', file: path.resolve(c.DATABASE_URL.slice('sqlite://'.length)) };
  else database = { kind: 'postgresql', url: c.DATABASE_URL, poolMax: c.DB_POOL_MAX, statementTimeoutMs: c.DB_STATEMENT_TIMEOUT_MS };
  return {
    nodeEnv: c.NODE_ENV,
    host: c.HOST,
    port: c.PORT,
    dataDir,
    database,
    logLevel: c.LOG_LEVEL,
    bodyLimit: c.BODY_LIMIT_BYTES,
    importMaxBytes: c.IMPORT_MAX_BYTES,
    corsOrigins: c.CORS_ORIGINS.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    trustProxy:
      c.TRUST_PROXY === 'true'
        ? true
        : c.TRUST_PROXY === '' || c.TRUST_PROXY === 'false'
          ? false
          : c.TRUST_PROXY.split(',')
              .map((s) => s.trim())
              .filter(Boolean),
    seedSampleData: c.SEED_SAMPLE_DATA ?? c.NODE_ENV !== 'production',
    publicUrl,
    resetUrl: c.RESET_URL ?? `${publicUrl}/reset`,
    verifyUrl: c.VERIFY_URL ?? `${publicUrl}/verify`,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    httpTimeouts: { connectionMs: c.HTTP_CONNECTION_TIMEOUT_MS, keepAliveMs: c.HTTP_KEEP_ALIVE_TIMEOUT_MS, requestMs: c.HTTP_REQUEST_TIMEOUT_MS },
    webhooks: {
      retryDelaysSeconds: c.WEBHOOK_RETRY_DELAYS.split(',').map((s) => Number(s.trim())),
      allowPrivateNetworks: c.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      timeoutMs: Math.round(c.WEBHOOK_TIMEOUT_SECONDS * 1000),
      leaseMs: Math.round(c.WEBHOOK_LEASE_SECONDS * 1000),
    },
    audit: { retentionDays: c.AUDIT_RETENTION_DAYS },
    search: { walkRows: c.SEARCH_WALK_ROWS, indexDelayMs: c.SEARCH_INDEX_DELAY_MS },
    auth: {
      jwtSecret: c.JWT_SECRET,
      bcryptCost: c.BCRYPT_COST,
      hashConcurrency: c.HASH_CONCURRENCY,
      hashQueueLimit: c.HASH_QUEUE_LIMIT,
      accessTokenTtlSeconds: c.ACCESS_TOKEN_TTL_SECONDS,
      sessionTtlDays: c.SESSION_TTL_DAYS,
      smtpUrl: c.SMTP_URL,
      mailFrom: c.MAIL_FROM,
      adminEmail: c.ADMIN_EMAIL?.trim().toLowerCase(),
      adminPassword: c.ADMIN_PASSWORD,
    },
    tracing: tracingConfig(c),
  };
}

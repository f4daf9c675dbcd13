import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The service's whole configuration, read from the environment once at boot.
 * Every value is parsed and checked here; a bad value stops the boot with one line naming the variable.
 */
export interface AppConfig {
  nodeEnv: string;
  production: boolean;
  port: number;
  logLevel: string;
  /** Set when an external PostgreSQL is used; otherwise the embedded server is started. */
  databaseUrl?: string;
  databasePoolSize: number;
  dataDir: string;
  /** Serve the Swagger UI at /docs (DOCS_ENABLED, on by default). */
  docsEnabled: boolean;
  jwt: {
    secret: string;
    /** Token lifetime in seconds. */
    expiresIn: number;
    /** The longest lifetime (exp - iat) a token this service signs may have, in seconds. */
    maxLifetime: number;
    jwksUri?: string;
    issuer?: string;
    audience?: string;
  };
  admin?: { email: string; password: string };
  http: {
    /** Express `trust proxy`: false (TRUST_PROXY=none, the default), a hop count, or addresses/subnets. */
    trustProxy: boolean | number | string;
    jsonBodyLimit: number;
    /** Longest time a request may take to arrive, body included (ms). */
    requestTimeoutMs: number;
    /** Longest time the request headers may take to arrive (ms). */
    headersTimeoutMs: number;
    /** How long a kept-alive connection may stay idle between requests (ms). */
    idleTimeoutMs: number;
    loginThrottleLimit: number;
    loginThrottleTtlMs: number;
  };
  import: {
    maxFileBytes: number;
    /** An upload up to this size is kept in memory, not spooled (workbooks always are): `IMPORT_MEMORY_UPLOAD_MAX`. */
    memoryUploadBytes: number;
    maxRows: number;
    maxCellChars: number;
    /** What a workbook may unpack to, all its parts read together: `IMPORT_XLSX_MAX_UNPACKED`. */
    maxUnpackedBytes: number;
    responseRows: number;
    sessionTtlMs: number;
    batchSize: number;
    confirmWorkers: number;
    confirmLeaseMs: number;
    purgeIntervalMs: number;
    /** How long import records (history, lineage) are kept: `IMPORT_HISTORY_RETENTION`. */
    historyRetentionMs: number;
    /** A user's validated sessions not yet confirmed, at most: `IMPORT_MAX_OPEN_SESSIONS`. */
    maxOpenSessions: number;
    /** The rows of those sessions, the file being validated included, at most: `IMPORT_MAX_STAGED_ROWS`. */
    maxStagedRows: number;
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const MIB = 1024 * 1024;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${value}")`);
  }
  return Number(value);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `900`, `900s`, `15m`, `1h`, `7d` (a bare number is seconds) into milliseconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] ?? 's'];
}

function duration(env: Env, name: string, fallback: string, minMs: number): number {
  const value = raw(env, name) ?? fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < minMs) {
    throw new ConfigError(
      `${name} must be a duration such as 900, 30s, 15m, 1h or 7d, at least ${minMs} ms (got "${value}")`,
    );
  }
  return ms;
}

/** Parses `1048576`, `512kb`, `1mb`, `100MiB` into bytes. */
export function parseBytes(value: string): number | undefined {
  const match = /^(\d+)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase();
  const factor = unit.startsWith('k')
    ? 1024
    : unit.startsWith('m')
      ? MIB
      : unit.startsWith('g')
        ? 1024 * MIB
        : 1;
  return Number(match[1]) * factor;
}

function bytes(env: Env, name: string, fallback: number, min = 1): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const parsed = parseBytes(value);
  if (parsed === undefined || parsed < min) {
    throw new ConfigError(`${name} must be a size such as 1048576, 512kb or 100mb (got "${value}")`);
  }
  return parsed;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const value = raw(env, name);
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL (${protocols.join(' or ')})`);
  }
  if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new ConfigError(
      `${name} must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    );
  }
  return value;
}

/**
 * Reads the signing secret for tokens. In production it must be given; elsewhere one is generated on the
 * first start and kept in the data directory, so that tokens stay valid across restarts.
 */
function jwtSecret(env: Env, production: boolean, dataDir: string, warn: (message: string) => void): string {
  const value = raw(env, 'JWT_SECRET');
  if (value !== undefined) {
    if (value.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters long');
    return value;
  }
  if (production) throw new ConfigError('JWT_SECRET is required when NODE_ENV=production');
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret, { mode: 0o600 });
  warn(`JWT_SECRET is not set: generated one and stored it in ${file}. Set JWT_SECRET in production.`);
  return secret;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(`${name} must be true or false (got "${value}")`);
}

/**
 * Which proxies may set X-Forwarded-For: `none` (the default: the client address is the socket's), a number
 * of hops, or a comma-separated list of addresses, subnets or the names loopback, linklocal, uniquelocal.
 */
function trustProxy(env: Env): boolean | number | string {
  const value = raw(env, 'TRUST_PROXY');
  if (value === undefined || value.toLowerCase() === 'none') return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (!/^[\w.:/, -]+$/.test(value)) {
    throw new ConfigError(`TRUST_PROXY must be none, a hop count or a list of addresses (got "${value}")`);
  }
  return value;
}

/** The data directory (`DATA_DIR`, `./data` by default), as an absolute path. */
export function resolveDataDir(env: Env = process.env): string {
  return resolve(raw(env, 'DATA_DIR') ?? 'data');
}

export function loadConfig(
  env: Env = process.env,
  warn: (message: string) => void = () => undefined,
): AppConfig {
  const nodeEnv = raw(env, 'NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  const dataDir = resolveDataDir(env);
  const logLevel = raw(env, 'LOG_LEVEL') ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(
      `LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "${logLevel}")`,
    );
  }

  const adminEmail = raw(env, 'ADMIN_EMAIL');
  const adminPassword = raw(env, 'ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (adminEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(adminEmail)) {
    throw new ConfigError(`ADMIN_EMAIL must be an email address (got "${adminEmail}")`);
  }
  if (adminPassword !== undefined && adminPassword.length < 8) {
    throw new ConfigError('ADMIN_PASSWORD must be at least 8 characters long');
  }

  const jwksUri = url(env, 'JWT_JWKS_URI', ['http', 'https']);
  const issuer = raw(env, 'JWT_ISSUER');
  const audience = raw(env, 'JWT_AUDIENCE');
  if (jwksUri && (!issuer || !audience)) {
    throw new ConfigError('JWT_ISSUER and JWT_AUDIENCE are required when JWT_JWKS_URI is set');
  }

  const expiresIn = duration(env, 'JWT_EXPIRES_IN', '1h', 1000) / 1000;
  const maxLifetime = duration(env, 'JWT_MAX_LIFETIME', '24h', 1000) / 1000;
  if (expiresIn > maxLifetime) {
    throw new ConfigError('JWT_EXPIRES_IN must not be longer than JWT_MAX_LIFETIME (24h by default)');
  }
  const maxRows = int(env, 'IMPORT_MAX_ROWS', 1_000_000, 1, 100_000_000);

  return {
    nodeEnv,
    production,
    port: int(env, 'PORT', 8080, 0, 65535),
    logLevel,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres', 'postgresql']),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 200),
    dataDir,
    docsEnabled: bool(env, 'DOCS_ENABLED', true),
    jwt: {
      secret: jwtSecret(env, production, dataDir, warn),
      expiresIn,
      maxLifetime,
      jwksUri,
      issuer,
      audience,
    },
    admin:
      adminEmail && adminPassword ? { email: adminEmail.toLowerCase(), password: adminPassword } : undefined,
    http: {
      trustProxy: trustProxy(env),
      jsonBodyLimit: bytes(env, 'JSON_BODY_LIMIT', MIB),
      // 30 minutes carry a 100 MiB upload over a link of 0.5 Mbit/s.
      requestTimeoutMs: duration(env, 'HTTP_REQUEST_TIMEOUT', '30m', 1000),
      headersTimeoutMs: duration(env, 'HTTP_HEADERS_TIMEOUT', '60s', 1000),
      idleTimeoutMs: duration(env, 'HTTP_IDLE_TIMEOUT', '5s', 1000),
      loginThrottleLimit: int(env, 'LOGIN_THROTTLE_LIMIT', 10, 1, 100_000),
      loginThrottleTtlMs: duration(env, 'LOGIN_THROTTLE_TTL', '1m', 1000),
    },
    import: {
      maxFileBytes: bytes(env, 'IMPORT_MAX_FILE_SIZE', 100 * MIB),
      memoryUploadBytes: bytes(env, 'IMPORT_MEMORY_UPLOAD_MAX', 64 * 1024, 0),
      maxRows,
      maxCellChars: int(env, 'IMPORT_MAX_CELL_CHARS', 10_000, 1, 10_000_000),
      maxUnpackedBytes: bytes(env, 'IMPORT_XLSX_MAX_UNPACKED', 1024 * MIB),
      responseRows: int(env, 'IMPORT_RESPONSE_ROWS', 1000, 1, 1_000_000),
      sessionTtlMs: duration(env, 'IMPORT_SESSION_TTL', '30m', 1000),
      batchSize: int(env, 'IMPORT_BATCH_SIZE', 5000, 1, 100_000),
      confirmWorkers: int(env, 'IMPORT_CONFIRM_WORKERS', 2, 1, 16),
      confirmLeaseMs: duration(env, 'IMPORT_CONFIRM_LEASE', '60s', 1000),
      purgeIntervalMs: duration(env, 'IMPORT_PURGE_INTERVAL', '5m', 1000),
      historyRetentionMs: duration(env, 'IMPORT_HISTORY_RETENTION', '90d', 1000),
      maxOpenSessions: int(env, 'IMPORT_MAX_OPEN_SESSIONS', 10, 1, 100_000),
      // Two files of the largest size, by default: one can be validated again before the first is confirmed.
      maxStagedRows: int(env, 'IMPORT_MAX_STAGED_ROWS', 2 * maxRows, 1, 1_000_000_000),
    },
  };
}

/** Injection token for {@link AppConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

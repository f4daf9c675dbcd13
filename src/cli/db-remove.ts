import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveDataDir } from '../config/config';
import { CLUSTER_FILES, clusterLocations, EXTERNAL_CLUSTERS_ROOT } from '../database/embedded-cluster-dir';
import { fail } from './cli-database';

function runningPid(clusterDir: string): number | undefined {
  const file = join(clusterDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * `npm run db:remove`: deletes the embedded PostgreSQL cluster of DATA_DIR (inside it, or the one kept under
 * /var/lib/rowgate for it) and its passwords, and prints what it removed. It stops nothing: while the
 * cluster's server runs, it refuses and removes nothing. The rest of DATA_DIR (the JWT secret) is kept.
 */
function main(): void {
  const dataDir = resolveDataDir();
  const { inside, outside } = clusterLocations(dataDir);
  const clusters = [inside, outside].filter((dir) => existsSync(dir));
  for (const dir of clusters) {
    const pid = runningPid(dir);
    if (pid !== undefined) {
      fail(
        `the embedded PostgreSQL in ${dir} is running (pid ${pid}): stop the service first; nothing was removed`,
      );
    }
  }
  const removed: string[] = [];
  for (const dir of clusters) {
    // A cluster kept outside DATA_DIR has a folder of its own, named after DATA_DIR.
    const target = dir === outside ? dirname(outside) : dir;
    rmSync(target, { recursive: true, force: true });
    removed.push(target);
  }
  if (clusters.length > 0) {
    for (const name of Object.values(CLUSTER_FILES)) {
      const file = join(dataDir, name);
      if (existsSync(file)) {
        rmSync(file, { force: true });
        removed.push(file);
      }
    }
  }
  if (existsSync(EXTERNAL_CLUSTERS_ROOT) && readdirSync(EXTERNAL_CLUSTERS_ROOT).length === 0) {
    rmdirSync(EXTERNAL_CLUSTERS_ROOT);
  }
  if (removed.length === 0) {
    process.stdout.write(`no embedded PostgreSQL cluster for DATA_DIR ${dataDir}: nothing to remove\n`);
  } else {
    for (const path of removed) process.stdout.write(`removed ${path}\n`);
  }
  if (process.env.DATABASE_URL) {
    process.stdout.write('note: DATABASE_URL is set, so the service does not use the embedded cluster\n');
  }
}

main();

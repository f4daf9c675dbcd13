import { spawn } from 'node:child_process';
import { fail, withDatabase } from './cli-database';

/**
 * `with-database <command> [args…]`: runs a command with DATABASE_URL pointing at the service's database.
 * Used by `npm run migration:generate` to give the TypeORM CLI a server.
 */
const [command, ...args] = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
if (!command) fail('usage: with-database <command> [args…]');

withDatabase(
  (url) =>
    new Promise<number>((resolve) => {
      const child = spawn(command, args, {
        stdio: 'inherit',
        env: { ...process.env, DATABASE_URL: url },
        shell: false,
      });
      child.on('exit', (code) => resolve(code ?? 1));
      child.on('error', (error) => {
        process.stderr.write(`error: ${error.message}\n`);
        resolve(1);
      });
    }),
).then(
  (code) => process.exit(code),
  (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
);

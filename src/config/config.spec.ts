import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, parseBytes, parseDuration } from './config';

describe('config', () => {
  const dataDir = () => mkdtempSync(join(tmpdir(), 'rowgate-config-'));

  it('parses durations: a bare number is seconds', () => {
    expect(parseDuration('900')).toBe(900_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('15m')).toBe(900_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('1.5h')).toBeUndefined();
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('parses sizes in bytes, KiB, MiB and GiB', () => {
    expect(parseBytes('1048576')).toBe(1_048_576);
    expect(parseBytes('512kb')).toBe(524_288);
    expect(parseBytes('100MiB')).toBe(104_857_600);
    expect(parseBytes('1 GB')).toBe(1_073_741_824);
    expect(parseBytes('-1mb')).toBeUndefined();
  });

  it('has working defaults without any setting, and keeps a generated secret in the data directory', () => {
    const dir = dataDir();
    const warnings: string[] = [];
    const config = loadConfig({ DATA_DIR: dir }, (m) => warnings.push(m));
    expect(config.port).toBe(8080);
    expect(config.import.batchSize).toBe(5000);
    expect(config.import.sessionTtlMs).toBe(30 * 60_000);
    expect(config.jwt.secret).toBe(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim());
    expect(warnings).toHaveLength(1);
    expect(loadConfig({ DATA_DIR: dir }).jwt.secret).toBe(config.jwt.secret);
  });

  it('gives each user 10 unconfirmed sessions and twice the rows limit of staged rows by default', () => {
    const quota = (env: Record<string, string>) => loadConfig({ DATA_DIR: dataDir(), ...env }).import;
    expect(quota({})).toMatchObject({ maxOpenSessions: 10, maxStagedRows: 2_000_000 });
    expect(quota({ IMPORT_MAX_ROWS: '500' })).toMatchObject({ maxStagedRows: 1000 });
    expect(quota({ IMPORT_MAX_STAGED_ROWS: '42' })).toMatchObject({ maxStagedRows: 42 });
  });

  it.each([
    [{ PORT: '70000' }, 'PORT must be a whole number from 0 to 65535 (got "70000")'],
    [{ IMPORT_SESSION_TTL: 'soon' }, 'IMPORT_SESSION_TTL must be a duration'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET must be at least 32 characters long'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET is required when NODE_ENV=production'],
  ])('refuses %j with a message naming the setting', (env, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ DATA_DIR: dataDir(), ...env })).toThrow(message);
  });
});

import {
  freePort,
  isAlive,
  postmasterPid,
  removeDataDir,
  ServiceProcess,
  sleep,
  temporaryDataDir,
} from './support/service-process';

/**
 * The service as `npm start` runs it, with no DATABASE_URL: it starts its own PostgreSQL, stops it on
 * SIGTERM/SIGINT, and keeps the data across restarts.
 */
describe('the service process on its embedded PostgreSQL', () => {
  let dataDir: string;
  let service: ServiceProcess;

  beforeAll(async () => {
    dataDir = temporaryDataDir('rowgate-process-');
    service = new ServiceProcess(await freePort(), {
      DATA_DIR: dataDir,
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'admin-password',
    });
  });
  afterAll(async () => {
    await service.stop('SIGKILL').catch(() => undefined);
    await removeDataDir(dataDir);
  });

  it('starts, keeps data across a restart, and leaves no postgres behind when stopped', async () => {
    await service.start();
    const firstPostgres = postmasterPid(dataDir);
    expect(firstPostgres).toBeDefined();

    const token = await service.login('admin@example.com', 'admin-password');
    const created = await service.request('/api/couriers', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: 'Survivor' }),
    });
    expect(created.status).toBe(201);

    expect(await service.stop('SIGTERM')).toBe(0);
    expect(isAlive(firstPostgres!)).toBe(false);

    await service.start();
    const secondPostgres = postmasterPid(dataDir);
    expect(secondPostgres).not.toBe(firstPostgres);
    // The token signed before the restart is still valid: the generated secret is kept in DATA_DIR.
    const list = await service.request('/api/couriers', { headers: { authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    expect(list.body.data.items.map((c: { name: string }) => c.name)).toEqual(['Survivor']);

    expect(await service.stop('SIGINT')).toBe(0);
    expect(isAlive(secondPostgres!)).toBe(false);
  });

  it('answers 503 on health while its database is down', async () => {
    await service.start();
    const pid = postmasterPid(dataDir)!;
    process.kill(pid, 'SIGINT');
    for (let i = 0; i < 100 && isAlive(pid); i++) await sleep(100);
    const health = await service.request('/api/health');
    expect(health.status).toBe(503);
    expect(health.body).toEqual({
      code: 503,
      message: 'database unavailable',
      data: { status: 'error', database: 'down' },
    });
    expect(await service.stop('SIGTERM')).toBe(0);
  });

  it('refuses to boot on a bad setting, naming the variable', async () => {
    const bad = new ServiceProcess(await freePort(), { DATA_DIR: dataDir, IMPORT_MAX_ROWS: 'lots' });
    await expect(bad.start(20_000)).rejects.toThrow(/IMPORT_MAX_ROWS must be a whole number/);
  });

  it('requires JWT_SECRET in production', async () => {
    const bad = new ServiceProcess(await freePort(), { DATA_DIR: dataDir, NODE_ENV: 'production' });
    await expect(bad.start(20_000)).rejects.toThrow(/JWT_SECRET is required when NODE_ENV=production/);
  });
});

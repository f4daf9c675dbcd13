/**
 * Browser end-to-end test of Swagger UI (`npm run test:e2e:browser`; not part of `npm test`).
 *
 * The built service runs as `npm start` runs it (no DATABASE_URL: its own embedded PostgreSQL, in a fresh
 * temporary DATA_DIR). Debian's Chromium (installed with apt-get when missing) opens `/docs` and does what a
 * person does there: logs in, authorizes, uploads CSV files with the file picker, reads the statuses and the
 * counters in the response panel, confirms, downloads `errors.csv`, lists the imports and reverts the one it
 * made, then the same for a courier user.
 * A screenshot of each step goes to `test/artifacts/swagger-ui/`.
 *
 * Exits 0 when every step passed, 1 when one failed. When Chromium is missing and cannot be installed, prints
 * `SKIPPED: <reason>` and exits 0: that is the only case that does not run the steps.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Locator, Page } from 'playwright-core';
import { freePort, removeDataDir, ROOT, ServiceProcess, temporaryDataDir } from '../support/service-process';
import { ensureChromium, launchChromium } from './chromium';
import { Operation, ShownResponse, SwaggerUi } from './swagger-ui';

const ARTIFACTS = join(ROOT, 'test', 'artifacts', 'swagger-ui');
const FIXTURES = join(__dirname, 'fixtures');
const ADMIN = { email: 'admin@example.com', password: 'admin-password' };
const RIDER = { email: 'rider@example.com', password: 'rider-password' };

const log = (line: string) => process.stdout.write(`${line}\n`);

/** Numbered steps, each timed, each ending with a screenshot. */
class Steps {
  private count = 0;
  readonly shots: string[] = [];

  async run(name: string, step: (shot: (target: Operation | Locator) => Promise<void>) => Promise<void>) {
    const number = String(++this.count).padStart(2, '0');
    const file = join(ARTIFACTS, `${number}-${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
    const started = Date.now();
    await step(async (target) => {
      if (target instanceof Operation) await target.screenshot(file);
      else await target.screenshot({ path: file });
      this.shots.push(file);
    });
    log(`  ok ${number} ${name} (${Date.now() - started} ms)`);
  }
}

const expectStatus = (shown: ShownResponse, status: number, what: string) =>
  assert.equal(shown.status, status, `${what}: the panel shows ${shown.status}: ${shown.text.slice(0, 500)}`);

/** Chooses a fixture with the file picker of an upload and executes it: the panel must show a 200. */
async function uploadWithPicker(ui: SwaggerUi, path: string, fixture: string) {
  const op = await ui.operation('post', path);
  const picker = op.filePicker('file');
  assert.equal(await picker.count(), 1, `${path}: no file picker (input[type=file]) for the field "file"`);
  await picker.setInputFiles(join(FIXTURES, fixture));
  const shown = await op.execute();
  expectStatus(shown, 200, path);
  return { op, body: shown.json };
}

/** The whole flow, as an admin for customers, then as a courier user for courier customers. */
async function flow(ui: SwaggerUi, service: ServiceProcess, steps: Steps): Promise<void> {
  // A customer that exists before the import: the file's row with its VAT is a warning, updated by override.
  const adminToken = await service.login(ADMIN.email, ADMIN.password);
  const seeded = await service.request('/api/customers', {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ company_name: 'Rossi Trasporti (old name)', vat_number: 'IT09876543210' }),
  });
  assert.equal(seeded.status, 201, `seeding a customer: ${JSON.stringify(seeded.body)}`);

  // The document Swagger UI is given is the one committed (and reviewed) as openapi.json.
  const served = await service.request('/docs-json');
  assert.deepEqual(served.body, JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')));

  await ui.open(`${service.url}/docs`);
  assert.equal(await ui.authorized(), false, 'the page shows a token in use before any was given');

  let token = '';
  await steps.run('admin logs in', async (shot) => {
    const op = await ui.operation('post', '/api/auth/login');
    await op.setJsonBody(ADMIN);
    const shown = await op.execute();
    expectStatus(shown, 200, 'login');
    assert.equal(shown.json?.token_type, 'Bearer');
    token = shown.json.access_token;
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    await shot(op);
  });

  await steps.run('admin authorizes', async (shot) => {
    const dialog = await ui.authorize(token);
    await shot(dialog);
    await ui.closeDialog();
    assert.equal(await ui.authorized(), true, 'the Authorize button does not show the token in use');
    // persistAuthorization: the token survives a reload of the page.
    await ui.open(`${service.url}/docs`);
    assert.equal(await ui.authorized(), true, 'the token was lost on reload (persistAuthorization)');
  });

  let courierId = '';
  await steps.run('admin creates a courier', async (shot) => {
    const op = await ui.operation('post', '/api/couriers');
    await op.setJsonBody({ name: 'Swift Riders' });
    const shown = await op.execute();
    expectStatus(shown, 201, 'create courier');
    courierId = shown.json.data.id;
    assert.equal(shown.json.data.name, 'Swift Riders');
    await shot(op);
  });

  await steps.run('admin creates a courier user', async (shot) => {
    const op = await ui.operation('post', '/api/users');
    await op.setJsonBody({ ...RIDER, role: 'courier', courier_id: courierId });
    const shown = await op.execute();
    expectStatus(shown, 201, 'create user');
    assert.deepEqual(
      { email: shown.json.data.email, role: shown.json.data.role, courier_id: shown.json.data.courier_id },
      { email: RIDER.email, role: 'courier', courier_id: courierId },
    );
    await shot(op);
  });

  let importId = '';
  await steps.run('customers validate with the file picker', async (shot) => {
    const { op, body } = await uploadWithPicker(ui, '/api/customers/import/validate', 'customers.csv');
    const data = body.data;
    importId = data.import_id;
    assert.deepEqual(
      [data.total_rows, data.valid_rows, data.warning_rows, data.error_rows, data.ambiguous_rows],
      [3, 1, 1, 1, 0],
      `validate counters: ${JSON.stringify(data)}`,
    );
    assert.deepEqual(
      data.rows.map((r: { row_number: number; status: string }) => [r.row_number, r.status]),
      [
        [2, 'valid'],
        [3, 'warning'],
        [4, 'error'],
      ],
    );
    assert.deepEqual(data.rows[2].errors, [{ field: 'email', message: 'invalid_format' }]);
    await shot(op);
  });

  await steps.run('customers confirm with override', async (shot) => {
    const op = await ui.operation('post', '/api/customers/import/confirm');
    const example = (await op.jsonBodyShown()) as Record<string, unknown>;
    assert.ok('import_id' in example && 'override' in example, 'the confirm body example lacks its fields');
    await op.setJsonBody({ import_id: importId, override: true });
    const shown = await op.execute();
    expectStatus(shown, 200, 'customers confirm');
    const { created, updated, skipped, failed } = shown.json.data;
    assert.deepEqual(
      { created, updated, skipped, failed },
      { created: 1, updated: 1, skipped: 1, failed: 0 },
    );
    // override: the customer that had the VAT now has the file's values.
    const existing = await service.request('/api/customers?search=IT09876543210', {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    assert.deepEqual(
      existing.body.data.items.map((c: { company_name: string; city: string }) => [c.company_name, c.city]),
      [['Rossi Trasporti SPA', 'Torino']],
    );
    await shot(op);
  });

  await steps.run('the session shows completed', async (shot) => {
    const op = await ui.operation('get', '/api/imports/{id}');
    await op.parameter('id').fill(importId);
    const shown = await op.execute();
    expectStatus(shown, 200, 'read the session');
    assert.equal(shown.json.data.status, 'completed');
    assert.deepEqual(shown.json.data.result, { created: 1, updated: 1, skipped: 1, failed: 0 });
    await shot(op);
  });

  await steps.run('download errors.csv', async (shot) => {
    const op = await ui.operation('get', '/api/imports/{id}/errors.csv');
    await op.parameter('id').fill(importId);
    const shown = await op.execute();
    expectStatus(shown, 200, 'errors.csv');
    const link = op.downloadLink();
    await link.waitFor();
    const [download] = await Promise.all([ui.page.waitForEvent('download'), link.click()]);
    const csv = readFileSync(await download.path(), 'utf8');
    // Every row that is not valid, with its original cells and an `errors` column.
    assert.deepEqual(csv.trim().split(/\r?\n/), [
      '"company_name","vat_number","email","city","language","errors"',
      '"Rossi Trasporti SPA","IT09876543210","info@rossi.example","Torino","en","vat_number: already_exists"',
      '"Bad Email Srl","IT11111111111","not-an-email","Roma","it","email: invalid_format"',
    ]);
    await shot(op);
  });

  await steps.run('list the imports', async (shot) => {
    const op = await ui.operation('get', '/api/imports');
    const shown = await op.execute();
    expectStatus(shown, 200, 'list the imports');
    const item = shown.json.data.items.find((i: { id: string }) => i.id === importId);
    assert.ok(item, 'the customers import is not listed');
    assert.equal(item.status, 'completed');
    assert.equal(item.kind, 'session');
    await shot(op);
  });

  await steps.run('revert the customers import', async (shot) => {
    const op = await ui.operation('post', '/api/imports/{id}/revert');
    await op.parameter('id').fill(importId);
    await op.setJsonBody({});
    const shown = await op.execute();
    expectStatus(shown, 200, 'revert');
    assert.deepEqual(
      { reverted: shown.json.data.reverted, restored: shown.json.data.restored, kept: shown.json.data.kept },
      { reverted: 1, restored: 1, kept: 0 },
    );
    await shot(op);
  });

  await steps.run('courier user logs in and authorizes', async (shot) => {
    const op = await ui.operation('post', '/api/auth/login');
    await op.setJsonBody(RIDER);
    const shown = await op.execute();
    expectStatus(shown, 200, 'courier login');
    await shot(op);
    await ui.authorize(shown.json.access_token);
    await ui.closeDialog();
  });

  let courierImportId = '';
  await steps.run('courier validate with the file picker', async (shot) => {
    const upload = await uploadWithPicker(
      ui,
      '/api/courier-customers/import/validate',
      'courier-customers.csv',
    );
    const data = upload.body.data;
    courierImportId = data.import_id;
    assert.deepEqual(
      [data.total_rows, data.valid_rows, data.error_rows],
      [3, 3, 0],
      `courier validate counters: ${JSON.stringify(data)}`,
    );
    await shot(upload.op);
  });

  await steps.run('courier confirm', async (shot) => {
    const op = await ui.operation('post', '/api/courier-customers/import/confirm');
    await op.setJsonBody({ import_id: courierImportId });
    const shown = await op.execute();
    expectStatus(shown, 200, 'courier confirm');
    assert.equal(shown.json.status, 'success');
    assert.deepEqual(shown.json.data, {
      processed: 3,
      created: 3,
      updated: 0,
      unchanged: 0,
      skipped_rows: [],
    });
    await shot(op);
  });

  await steps.run('courier one-shot import with the file picker', async (shot) => {
    const { op, body } = await uploadWithPicker(
      ui,
      '/api/courier-customers/import',
      'courier-customers-update.csv',
    );
    assert.deepEqual(body, {
      status: 'success',
      message: 'Successfully processed 2 records (Upsert complete).',
      data: { processed: 2, created: 1, updated: 1, unchanged: 0, skipped_rows: [4] },
    });
    await shot(op);
  });

  await steps.run('courier import of an Excel workbook with the file picker', async (shot) => {
    const { op, body } = await uploadWithPicker(
      ui,
      '/api/courier-customers/import',
      'courier-customers.xlsx',
    );
    assert.deepEqual(body, {
      status: 'success',
      message: 'Successfully processed 2 records (Upsert complete).',
      data: { processed: 2, created: 2, updated: 0, unchanged: 0, skipped_rows: [] },
    });
    await shot(op);
  });
}

async function main(): Promise<number> {
  const started = Date.now();
  const skip = ensureChromium(log);
  if (skip) {
    log(`SKIPPED: ${skip}`);
    return 0;
  }
  rmSync(ARTIFACTS, { recursive: true, force: true });
  mkdirSync(ARTIFACTS, { recursive: true });

  const dataDir = temporaryDataDir('rowgate-browser-');
  const service = new ServiceProcess(await freePort(), {
    DATA_DIR: dataDir,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
  });
  let browser: Browser | undefined;
  let page: Page | undefined;
  const pageErrors: string[] = [];
  const steps = new Steps();
  try {
    log('browser test: starting the service as npm start does');
    await service.start(120_000);
    browser = await launchChromium();
    log(`browser test: Chromium ${browser.version()}, Swagger UI at ${service.url}/docs`);
    const context = await browser.newContext({
      viewport: { width: 1280, height: 1000 },
      acceptDownloads: true,
    });
    page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Scripts that fail, styles or scripts the headers block; not the 4xx answers a step may check.
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(message.text());
    });
    await flow(new SwaggerUi(page), service, steps);
    assert.deepEqual(pageErrors, [], 'the page reported errors');
    log(`PASSED: ${steps.shots.length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    log(`screenshots in ${ARTIFACTS}`);
    return 0;
  } catch (error) {
    log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (pageErrors.length) log(`page errors:\n  ${pageErrors.join('\n  ')}`);
    await page?.screenshot({ path: join(ARTIFACTS, 'failure.png'), fullPage: true }).catch(() => undefined);
    log(`service output (last lines):\n${service.output.slice(-4000)}`);
    return 1;
  } finally {
    await browser?.close().catch(() => undefined);
    await service.stop('SIGTERM').catch(() => undefined);
    await removeDataDir(dataDir);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`FAILED: ${String(error)}`);
    process.exit(1);
  },
);

/**
 * `npm run bench:stray-byte [-- --rows N]`: a UTF-8 customers file of N rows, every row with accented text,
 * and the same file with one Latin-1 byte in its last row but one. It validates both against the real
 * service (clean first, then stray, then clean again), confirms the stray one, and checks in the database
 * that exactly one row was refused (`invalid_encoding`) and every other accented cell was stored exactly.
 * Prints both validate times and their ratio. No timing is asserted.
 */
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { DATA_DIR } from './data';
import { ApiClient, WrongAnswer } from './http';
import { parseOptions } from './options';
import { ADMIN, ServiceUnderTest } from './service';

const CITIES = ['Forlì', 'Città di Castello', 'Zürich', 'Kraków', 'São Paulo', 'Malmö', 'Ñuñoa', 'Αθήνα'];
const out = (line = '') => process.stdout.write(`${line}\n`);

/** Writes the file once (reused when it exists); `stray` puts one Latin-1 byte in row `rows` (the last but one). */
async function write(
  rows: number,
  stray: boolean,
): Promise<{ path: string; rows: number; bytes: number; reused: boolean }> {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, `customers-accented-${stray ? 'stray' : 'clean'}-${rows}.csv`);
  if (!existsSync(path)) {
    const stream = createWriteStream(path);
    const put = (chunk: Buffer | string) =>
      stream.write(chunk) ? Promise.resolve() : new Promise<void>((resolve) => stream.once('drain', resolve));
    await put('company_name,vat_number,city\n');
    let lines = '';
    for (let i = 0; i < rows; i++) {
      const row = i + 2;
      if (stray && row === rows) {
        await put(lines);
        lines = '';
        await put(
          Buffer.concat([Buffer.from(`Caffè ${i},ACC${i},Forl`), Buffer.from([0xec]), Buffer.from('\n')]),
        );
        continue;
      }
      lines += `Caffè ${i},ACC${i},${CITIES[i % CITIES.length]}\n`;
      if (lines.length > 64 * 1024) {
        await put(lines);
        lines = '';
      }
    }
    await put(lines);
    await new Promise<void>((resolve, reject) =>
      stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
    return { path, rows, bytes: statSync(path).size, reused: false };
  }
  return { path, rows, bytes: statSync(path).size, reused: true };
}

async function main(): Promise<void> {
  const { rows } = parseOptions(process.argv.slice(2));
  const clean = await write(rows, false);
  const stray = await write(rows, true);
  out(
    `files: ${clean.path} and ${stray.path} (${rows.toLocaleString('en-US')} rows, ${(clean.bytes / 1e6).toFixed(1)} MB)`,
  );
  const service = await ServiceUnderTest.start(join(DATA_DIR, 'stray-byte.service.log'));
  try {
    const api = new ApiClient(service.url);
    await api.login(ADMIN.email, ADMIN.password);
    const validate = async (file: typeof clean) => {
      const started = performance.now();
      const answer = await api.upload('/api/customers/import/validate', file);
      const seconds = (performance.now() - started) / 1000;
      if (answer.status !== 200) throw new WrongAnswer('validate', answer);
      return { seconds, data: answer.body.data };
    };
    const first = await validate(clean);
    const dirty = await validate(stray);
    const second = await validate(clean);
    if (first.data.error_rows !== 0)
      throw new Error(`the clean file has ${first.data.error_rows} error rows`);
    const errors = (
      dirty.data.rows as { row_number: number; errors?: { field: string; message: string }[] }[]
    ).filter((r) => r.errors?.some((e) => e.message === 'invalid_encoding'));
    if (dirty.data.error_rows !== 1 || errors.length !== 1 || errors[0].row_number !== rows) {
      throw new Error(
        `expected exactly row ${rows} refused: ${JSON.stringify({ error_rows: dirty.data.error_rows, errors })}`,
      );
    }
    const confirmed = await api.post('/api/customers/import/confirm', { import_id: dirty.data.import_id });
    if (confirmed.status !== 200 || confirmed.body.data.created !== rows - 1) {
      throw new WrongAnswer('confirm of the file with the stray byte', confirmed);
    }
    const db = new Client(service.databaseConfig());
    await db.connect();
    const [{ exact, total, replaced }] = (
      await db.query(
        `SELECT count(*) FILTER (WHERE city = ANY($1) AND company_name = 'Caffè ' || substr(vat_number, 4))::int AS exact,
                count(*)::int AS total,
                count(*) FILTER (WHERE city LIKE '%' || chr(65533) || '%' OR company_name LIKE '%' || chr(65533) || '%')::int AS replaced
         FROM customers`,
        [CITIES],
      )
    ).rows;
    await db.end();
    const baseline = (first.seconds + second.seconds) / 2;
    out(
      `validate, clean file:           ${first.seconds.toFixed(2)} s and ${second.seconds.toFixed(2)} s (mean ${baseline.toFixed(2)} s)`,
    );
    out(
      `validate, file with stray byte: ${dirty.seconds.toFixed(2)} s (${(dirty.seconds / baseline).toFixed(3)}x the clean file)`,
    );
    out(
      `error rows: ${dirty.data.error_rows} (row ${errors[0].row_number}: ${JSON.stringify(errors[0].errors)})`,
    );
    out(
      `stored after confirm: ${total.toLocaleString('en-US')} customers, ${exact.toLocaleString('en-US')} with their accented cells exactly as written, ${replaced} with U+FFFD`,
    );
    if (exact !== rows - 1 || total !== rows - 1 || replaced !== 0)
      throw new Error('a stored cell differs from the file');
  } finally {
    await service.stop().catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Data rows of the customers and courier files. */
  rows: number;
}

export const DEFAULT_ROWS = 100_000;
/** The one-shot JSON import carries its CSV in one JSON string: it gets a smaller file. */
export const ONE_SHOT_MAX_ROWS = 20_000;

const USAGE = 'usage: npm run bench -- [--rows N]   (N data rows per file, default 100000)';

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: { rows: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const rows = values.rows === undefined ? DEFAULT_ROWS : Number(values.rows.replace(/_/g, ''));
  if (!Number.isSafeInteger(rows) || rows < 1) {
    throw new Error(`--rows must be a whole number of at least 1 (got "${values.rows}")\n${USAGE}`);
  }
  return { rows };
}

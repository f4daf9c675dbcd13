/**
 * `npm run bench:xlsx [-- --rows 200000,1000000] [--shared]`: reads the same customer rows as CSV and as an `.xlsx`
 * workbook with the service's own readers (`openDocument`, as a validate opens an upload), each in a fresh
 * process, and prints the time and the peak RSS of each, side by side. The workbook is written once per row
 * count from the bench's CSV, with ExcelJS's streaming writer, every cell a string, and reused afterwards;
 * `--shared` adds a workbook whose strings are in a shared strings table, as Excel saves them.
 * Nothing is asserted: the figures are printed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CsvFile, customersFile } from './data';
import { workbookFile } from './workbook-data';

const DIST_DOCUMENT = join(__dirname, '..', 'dist', 'src', 'import-session', 'import-document.js');
const RUNS = 2;
const out = (line = '') => process.stdout.write(`${line}\n`);

/** The child: opens the file as a validate does, reads every record, prints its time and peak RSS. */
const CHILD = `
const { openDocument } = require(process.env.DOCUMENT);
const { performance } = require('node:perf_hooks');
let peak = 0;
const sample = () => { const rss = process.memoryUsage.rss(); if (rss > peak) peak = rss; };
const timer = setInterval(sample, 20);
(async () => {
  const started = performance.now();
  const document = await openDocument({ path: process.env.FILE }, {
    maxRows: 100000000, maxFieldChars: 20000, maxUnpackedBytes: 16 * 1024 ** 3,
  });
  let rows = 0;
  for await (const batch of document.batches) rows += batch.length;
  const ms = performance.now() - started;
  clearInterval(timer);
  sample();
  process.stdout.write(JSON.stringify({ format: document.format, rows, ms, peakMb: peak / 1048576 }));
})().catch((error) => { console.error(error); process.exit(1); });
`;

interface Reading {
  format: string;
  rows: number;
  ms: number;
  peakMb: number;
}

function read(file: string): Reading {
  const text = execFileSync(process.execPath, ['-e', CHILD], {
    env: { ...process.env, DOCUMENT: DIST_DOCUMENT, FILE: file },
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(text) as Reading;
}

function parseRows(argv: string[]): number[] {
  const at = argv.indexOf('--rows');
  const value = at >= 0 ? argv[at + 1] : '200000,1000000';
  const counts = (value ?? '').split(',').map(Number);
  if (counts.some((n) => !Number.isSafeInteger(n) || n < 1)) throw new Error(`--rows: bad value "${value}"`);
  return counts;
}

async function main(): Promise<void> {
  if (!existsSync(DIST_DOCUMENT)) throw new Error('run "npm run build" first');
  out('rows        format   size MB   read s  (runs)          peak RSS MB   ratio to csv');
  const shared = process.argv.includes('--shared');
  for (const rows of parseRows(process.argv.slice(2))) {
    const csv = await customersFile(rows, 'main');
    const files: Record<string, CsvFile> = { csv, xlsx: await workbookFile(csv) };
    if (shared) files['xlsx-sst'] = await workbookFile(csv, { sharedStrings: true });
    const readings: Record<string, Reading[]> = Object.fromEntries(Object.keys(files).map((k) => [k, []]));
    // Alternated, so that a busy moment of the machine falls on every format alike.
    for (let run = 0; run < RUNS; run++) {
      for (const [format, file] of Object.entries(files)) readings[format].push(read(file.path));
    }
    const best = (list: Reading[]) => Math.min(...list.map((r) => r.ms));
    for (const format of Object.keys(files)) {
      const list = readings[format];
      if (list.some((r) => r.rows !== rows || r.format !== format.slice(0, 4))) {
        throw new Error(`${format}: expected ${rows} rows, read ${list.map((r) => r.rows).join(', ')}`);
      }
      const size = files[format].bytes / 1048576;
      const runs = list.map((r) => (r.ms / 1000).toFixed(2)).join(', ');
      const peak = Math.max(...list.map((r) => r.peakMb));
      const ratio = format === 'csv' ? '' : `${(best(list) / best(readings.csv)).toFixed(2)}×`;
      out(
        `${String(rows).padEnd(11)} ${format.padEnd(8)} ${size.toFixed(1).padStart(7)}  ` +
          `${(best(list) / 1000).toFixed(2).padStart(7)}  (${runs})`.padEnd(32) +
          `${peak.toFixed(0).padStart(11)}   ${ratio}`,
      );
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

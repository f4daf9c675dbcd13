import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { LatencyStats } from './samplers';

export interface PhaseResult {
  phase: string;
  rows: number;
  /** Null when the phase was skipped. */
  seconds: number | null;
  rows_per_s: number | null;
  peak_rss_mb: number | null;
  /** Bytes of the HTTP answer body (summed for a combined line). */
  answer_bytes: number | null;
  /** Phase seconds / COPY seconds of the same file. */
  ratio_to_copy: number | null;
  /** The COPY timing the ratio is taken against. */
  copy_of: string | null;
  /** Phase seconds / seconds of the COPY into a table shaped like the service's (indexes, constraints). */
  ratio_to_indexed_copy: number | null;
  skipped?: string;
  combined?: boolean;
}

export interface HealthResult extends LatencyStats {
  during: string;
}

const fixed = (value: number | null, digits: number) => (value === null ? '-' : value.toFixed(digits));
const thousands = (value: number | null) =>
  value === null ? '-' : Math.round(value).toLocaleString('en-US');

export function describePhase(result: PhaseResult): string {
  if (result.skipped) return `${result.phase}: skipped (${result.skipped})`;
  return (
    `${result.phase}: ${thousands(result.rows)} rows in ${fixed(result.seconds, 2)} s ` +
    `(${thousands(result.rows_per_s)} rows/s), peak RSS ${fixed(result.peak_rss_mb, 0)} MB, ` +
    `answer ${thousands(result.answer_bytes)} B, ${fixed(result.ratio_to_copy, 1)}x COPY, ` +
    `${fixed(result.ratio_to_indexed_copy, 1)}x indexed COPY`
  );
}

export function describeHealth(health: HealthResult): string {
  return (
    `GET /api/health during ${health.during}: p50 ${fixed(health.p50_ms, 1)} ms, ` +
    `p99 ${fixed(health.p99_ms, 1)} ms, max ${fixed(health.max_ms, 1)} ms ` +
    `(${health.samples} probes, ${health.failures} failed)`
  );
}

/** The final table: one line per phase (and per combined phase), aligned. */
export function table(results: PhaseResult[]): string {
  const header = [
    'phase',
    'rows',
    'seconds',
    'rows/s',
    'peak RSS MB',
    'answer bytes',
    'ratio to COPY',
    'ratio to indexed COPY',
  ];
  // A skipped phase has three cells: its name, its rows and why it was skipped, written out unaligned.
  const lines = results.map((r) =>
    r.skipped
      ? [r.phase, thousands(r.rows), `skipped (${r.skipped})`]
      : [
          r.phase,
          thousands(r.rows),
          fixed(r.seconds, 2),
          thousands(r.rows_per_s),
          fixed(r.peak_rss_mb, 0),
          thousands(r.answer_bytes),
          r.ratio_to_copy === null ? '-' : `${r.ratio_to_copy.toFixed(1)}x`,
          r.ratio_to_indexed_copy === null ? '-' : `${r.ratio_to_indexed_copy.toFixed(1)}x`,
        ],
  );
  const aligned = [header, ...lines.filter((cells) => cells.length === header.length)];
  const widths = header.map((_, i) =>
    Math.max(
      ...aligned.map((cells) => cells[i].length),
      i === 0 ? Math.max(...lines.map((c) => c[0].length)) : 0,
    ),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i === 0
          ? cell.padEnd(widths[i])
          : cells.length < header.length && i === cells.length - 1
            ? cell
            : cell.padStart(widths[i]),
      )
      .join('  ')
      .trimEnd();
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(format)].join('\n');
}

/** `bench/results/<timestamp>-<rows>`: the results file without its extension (`.json`, `.service.log`). */
export function resultsBase(directory: string, rows: number, startedAt: Date): string {
  return join(directory, `${startedAt.toISOString().replace(/[:.]/g, '-')}-${rows}`);
}

/** Writes the results as JSON to `<base>.json`; answers the path. */
export function writeResults(base: string, results: unknown): string {
  mkdirSync(dirname(base), { recursive: true });
  const path = `${base}.json`;
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}

/** A figure an issue set for a phase: its ratio to the indexed COPY at most `max`. */
interface Target {
  phase: string;
  what: string;
  max: number;
}

/** The targets at 1,000,000 rows: lineage and undo (history), the update paths (changes). */
const TARGETS: Target[] = [
  { phase: 'customers validate + confirm (sync)', what: 'lineage: new records, 1.0× before it', max: 1.15 },
  { phase: 'customers revert (first confirm, all deleted)', what: 'undo of the import just made', max: 1 },
  {
    phase: 'customers re-validate + confirm (identical re-import)',
    what: 'an identical re-import',
    max: 1.2,
  },
  {
    phase: 'customers re-validate + confirm (one field changed)',
    what: 'one field changed on every row',
    max: 1.5,
  },
  { phase: 'courier import (new codes)', what: 'courier import of new codes', max: 1.3 },
  { phase: 'courier import (same file again)', what: 'courier import of the same file', max: 1 },
];

/** Each target beside the figure of this run, and the peak RSS of the run against its 300 MB bound. */
export function describeTargets(results: PhaseResult[]): string {
  const lines = ['against the targets (ratio to the indexed COPY; set for 1,000,000 rows):'];
  for (const target of TARGETS) {
    const ratio = results.find((r) => r.phase === target.phase)?.ratio_to_indexed_copy ?? null;
    const verdict = ratio === null ? 'not run' : ratio <= target.max ? 'met' : 'NOT met';
    lines.push(`  ${target.what}: ${fixed(ratio, 2)}× (at most ${target.max}×) ${verdict}`);
  }
  const peak = Math.max(...results.map((r) => r.peak_rss_mb ?? 0));
  lines.push(
    `  peak RSS of the service: ${fixed(peak, 0)} MB (at most 300 MB) ${peak <= 300 ? 'met' : 'NOT met'}`,
  );
  return lines.join('\n');
}

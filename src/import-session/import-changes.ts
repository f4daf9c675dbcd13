import { Sql, sql } from '../database/sql';

/**
 * A column of the written table that a staged row can change: how an update assigns it and how it is
 * compared. Only the columns of the fields the file has are compared and assigned (API.md §11): a column the
 * file lacks is never overwritten.
 */
export interface ComparedColumn {
  /** The field named in `changes`. */
  field: string;
  /** The column of the written table. */
  column: string;
  /**
   * The value an update writes, as SQL over the record `t` and the staged row `r` (aliases given), after the
   * same normalisation as the confirm (the staged values already are).
   */
  value(t: string, r: string): string;
}

const q = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** `c1 = <value>, c2 = <value>`: the SET list of an update from the staged row `r` (target alias `t`). */
export function assignSql(columns: readonly ComparedColumn[], t: string, r: string): Sql {
  return sql.raw(columns.map((c) => `${c.column} = ${c.value(t, r)}`).join(', '));
}

/** True when the record `t` differs from what the staged row `r` would write (`IS DISTINCT FROM`). */
export function changedSql(columns: readonly ComparedColumn[], t: string, r: string): Sql {
  return columns.length === 0 ? sql`false` : sql.raw(changedText(columns, t, r));
}

function changedText(columns: readonly ComparedColumn[], t: string, r: string): string {
  const record = columns.map((c) => `${t}.${c.column}`).join(', ');
  const staged = columns.map((c) => c.value(t, r)).join(', ');
  return `ROW(${record}) IS DISTINCT FROM ROW(${staged})`;
}

/**
 * `{field: {from, to}}` of the columns where the record `t` differs from the staged row `r`, as `jsonb`; null
 * when none differs.
 */
export function changesSql(columns: readonly ComparedColumn[], t: string, r: string): Sql {
  if (columns.length === 0) return sql`NULL::jsonb`;
  const parts = columns.map((c) => {
    const from = `${t}.${c.column}`;
    const to = c.value(t, r);
    return `CASE WHEN ${from} IS DISTINCT FROM ${to} THEN jsonb_build_object(${q(c.field)}, jsonb_build_object('from', ${from}, 'to', ${to})) ELSE '{}'::jsonb END`;
  });
  // One row comparison first: most matched rows of a re-import are unchanged, and build nothing.
  return sql.raw(`CASE WHEN ${changedText(columns, t, r)} THEN ${parts.join(' || ')} END`);
}

/**
 * The before image of an update of the record `t` from the staged row `r`, as `jsonb` keyed by column: the
 * values it replaces (the columns where `t` differs from what `r` writes), with `updated_at` and `import_id`,
 * which every update replaces. An undo puts back exactly these; every other column keeps what it holds then.
 */
export function beforeImageSql(columns: readonly ComparedColumn[], t: string, r: string): Sql {
  const values = [...columns.map((c) => c.column), 'updated_at', 'import_id'].map(
    (c) => `${q(c)}, ${t}.${c}`,
  );
  const kept = columns.map(
    (c) => `CASE WHEN ${t}.${c.column} IS NOT DISTINCT FROM ${c.value(t, r)} THEN ${q(c.column)} END`,
  );
  return sql.raw(
    `jsonb_build_object(${values.join(', ')}) - array_remove(ARRAY[${kept.join(', ')}]::text[], NULL)`,
  );
}

import { EntityManager } from 'typeorm';
import { query, sql } from '../database/sql';
import { ApplyScope, ImportDefinition, scopeRows } from './import-definition';

/**
 * Lineage of a confirm, in the transaction of each batch: the values a batch is about to replace (one
 * INSERT … SELECT … FOR UPDATE, just before the definition's `apply`) and the ids it created (one compact
 * array per batch, after it). Both outlive the staged rows, so an import stays reversible after the purge.
 */
export async function captureBefore(
  manager: EntityManager,
  definition: ImportDefinition,
  scope: ApplyScope,
): Promise<void> {
  const targets = definition.updateTargets(scope);
  if (targets === null) return;
  const table = sql.raw(definition.revert.table);
  await query(
    manager,
    sql`INSERT INTO import_changes (import_id, record_id, row_number, before)
        SELECT ${scope.session}, t.id, m.row_number, to_jsonb(t)
        FROM (${targets}) m JOIN ${table} t ON t.id = m.id
        ORDER BY t.id
        FOR UPDATE OF t
        ON CONFLICT (import_id, record_id) DO NOTHING`,
  );
}

/** Applies the scope with its before image captured first. */
export async function applyWithLineage(
  manager: EntityManager,
  definition: ImportDefinition,
  scope: ApplyScope,
): Promise<number> {
  await captureBefore(manager, definition, scope);
  return definition.apply(manager, scope);
}

/**
 * Keeps the ids the scope's rows created, as one row of arrays. A row's `target_id` is a fresh id that only
 * a record created from it can carry, so the rows whose `target_id` now exists created it. (Matching on
 * `import_id` instead would join on a column the planner believes all null and loop over the table.) The
 * `LIMIT 1` keeps the check a primary key look-up per row: within one transaction the table grows by every
 * batch while its statistics stay those of before, and a semi-join planned on them would read the whole
 * table for each batch.
 */
export async function recordCreated(
  manager: EntityManager,
  definition: ImportDefinition,
  scope: ApplyScope,
): Promise<void> {
  const table = sql.raw(definition.revert.table);
  await query(
    manager,
    sql`INSERT INTO import_created (import_id, first_row, ids, row_numbers)
        SELECT ${scope.session}, ${scope.from}::int, array_agg(r.target_id ORDER BY r.row_number),
               array_agg(r.row_number ORDER BY r.row_number)
        FROM import_rows r
        WHERE ${scopeRows(scope)} AND r.target_id IS NOT NULL
          AND EXISTS (SELECT 1 FROM ${table} t WHERE t.id = r.target_id LIMIT 1)
        HAVING count(*) > 0
        ON CONFLICT (import_id, first_row) DO NOTHING`,
  );
}

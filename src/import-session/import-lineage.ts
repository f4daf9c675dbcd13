import { EntityManager } from 'typeorm';
import { query, rowsOf, Sql, sql } from '../database/sql';
import { beforeImageSql } from './import-changes';
import { ApplyScope, BeforeImages, ImportDefinition, NO_BEFORE_IMAGES, scopeRows } from './import-definition';
import { outcomeSql, ROWS_WITH_OUTCOMES } from './import-outcomes';

/**
 * Lineage of a confirm, in the transaction of each batch: the values a batch is about to replace (one
 * INSERT … SELECT … FOR UPDATE, just before the definition's `apply`, locking the records in id order, each
 * found by a primary key look-up whatever the table's statistics say) and the ids it created (one compact
 * array per batch, after it). Both outlive the staged rows, so an import stays reversible after the purge.
 * A before image holds only what the update replaces (see {@link beforeImageSql}), compared with the record
 * as it is once locked.
 *
 * The same statement answers how many records the batch is about to update and which of its rows are stale:
 * `apply` then looks up neither again, and a batch that updates nothing (an identical re-import) skips its
 * update altogether.
 */
export async function captureBefore(
  manager: EntityManager,
  definition: ImportDefinition,
  scope: ApplyScope,
): Promise<BeforeImages> {
  const targets = definition.updateTargets(scope);
  if (targets === null) return NO_BEFORE_IMAGES;
  const table = sql.raw(definition.revert.table);
  const [found] = rowsOf<BeforeImages>(
    await query(
      manager,
      sql`WITH m AS MATERIALIZED (${targets.rows}), taken AS (
            INSERT INTO import_changes (import_id, record_id, row_number, before)
            SELECT ${scope.session}, t.id, x.row_number, ${beforeImageSql(targets.columns, 't', '(x.staged)')}
            FROM (SELECT * FROM m WHERE m.id IS NOT NULL ORDER BY m.id) x
            CROSS JOIN LATERAL (SELECT * FROM ${table} t WHERE t.id = x.id LIMIT 1 FOR UPDATE) t
            ON CONFLICT (import_id, record_id) DO NOTHING
          )
          SELECT count(m.id)::int AS targets,
                 coalesce(array_agg(m.row_number ORDER BY m.row_number) FILTER (WHERE m.id IS NULL), '{}') AS stale
          FROM m`,
    ),
  );
  return found;
}

/**
 * A lateral join that keeps only the rows whose record (`<alias>.match_id`) had its before image taken by
 * this import: one primary key probe of `import_changes` per row, however that table grows in the
 * transaction. An update joined with it touches only records {@link captureBefore} locked.
 */
export function withBeforeImage(scope: ApplyScope, alias: string): Sql {
  return sql`CROSS JOIN LATERAL (SELECT 1 FROM import_changes b
    WHERE b.import_id = ${scope.session} AND b.record_id = ${sql.raw(alias)}.match_id LIMIT 1) b`;
}

/** Applies the scope with its before image captured first. */
export async function applyWithLineage(
  manager: EntityManager,
  definition: ImportDefinition,
  scope: ApplyScope,
): Promise<number> {
  return definition.apply(manager, scope, await captureBefore(manager, definition, scope));
}

/**
 * Keeps the ids the scope's rows created, as one row of arrays: the rows whose outcome is `created`, with
 * the id their record was created with. The outcome is the core's own (derived from the row and its outcome
 * row, and checked against what the batch wrote), so no look-up of the written table is needed: within one
 * transaction that table grows by every batch while its statistics stay those of before, and a look-up
 * planned on them would scan it for every row.
 */
export async function recordCreated(manager: EntityManager, scope: ApplyScope): Promise<void> {
  const derived = outcomeSql({
    status: 'completed',
    options: scope.options,
    batch_size: null,
    applied_batches: [],
  });
  await query(
    manager,
    sql`INSERT INTO import_created (import_id, first_row, ids, row_numbers)
        SELECT ${scope.session}, ${scope.from}::int, array_agg(x.id ORDER BY x.row_number),
               array_agg(x.row_number ORDER BY x.row_number)
        FROM (
          SELECT r.row_number, ${derived.targetId} AS id, ${derived.outcome} AS outcome
          FROM ${ROWS_WITH_OUTCOMES} WHERE ${scopeRows(scope)}
        ) x
        WHERE x.outcome = 'created'
        HAVING count(*) > 0
        ON CONFLICT (import_id, first_row) DO NOTHING`,
  );
}

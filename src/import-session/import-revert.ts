import { EntityManager } from 'typeorm';
import { query, sql, Sql } from '../database/sql';
import { RevertSpec } from './import-definition';

/**
 * The statements of an undo (API.md §10), set-based over the whole import: every record the import created
 * is deleted and every record it updated gets the values of its before image back, unless it was changed
 * since (its `import_id` is no longer this import), archived or deleted (`gone`), or, for a created record,
 * something references it. Each decision is written to `import_revert_results` by the statement that acts on
 * it.
 */
export async function revertImport(
  manager: EntityManager,
  spec: RevertSpec,
  importId: string,
): Promise<void> {
  const id = sql`${sql.value(importId)}::uuid`;
  const table = sql.raw(spec.table);
  const gone = spec.archivable ? sql`t.id IS NULL OR t.archived_at IS NOT NULL` : sql`t.id IS NULL`;
  const referenced: Sql = spec.referenced ?? sql`false`;
  await query(
    manager,
    sql`WITH created AS (
          SELECT u.id, u.row_number
          FROM import_created c, unnest(c.ids, c.row_numbers) AS u (id, row_number)
          WHERE c.import_id = ${id}
        ), judged AS (
          SELECT c.id, c.row_number,
                 CASE WHEN ${gone} THEN 'gone'
                      WHEN t.import_id IS DISTINCT FROM ${id} THEN 'changed_since_import'
                      WHEN ${referenced} THEN 'referenced' END AS reason
          FROM created c LEFT JOIN ${table} t ON t.id = c.id
        ), deleted AS (
          DELETE FROM ${table} t USING judged j WHERE j.reason IS NULL AND t.id = j.id
        )
        INSERT INTO import_revert_results (import_id, record_id, row_number, action, reason)
        SELECT ${id}, j.id, j.row_number, CASE WHEN j.reason IS NULL THEN 'deleted' ELSE 'kept' END, j.reason
        FROM judged j`,
  );
  // A before image holds the columns its update replaced: the others keep what they hold.
  const assign = sql.raw(
    spec.columns.map((c) => `${c} = CASE WHEN j.before ? '${c}' THEN b.${c} ELSE t.${c} END`).join(', '),
  );
  await query(
    manager,
    sql`WITH judged AS (
          SELECT ch.record_id AS id, ch.row_number, ch.before,
                 CASE WHEN ${gone} THEN 'gone'
                      WHEN t.import_id IS DISTINCT FROM ${id} THEN 'changed_since_import' END AS reason
          FROM import_changes ch LEFT JOIN ${table} t ON t.id = ch.record_id
          WHERE ch.import_id = ${id}
        ), restored AS (
          UPDATE ${table} t SET ${assign}
          FROM judged j CROSS JOIN LATERAL jsonb_populate_record(NULL::${table}, j.before) b
          WHERE j.reason IS NULL AND t.id = j.id
        )
        INSERT INTO import_revert_results (import_id, record_id, row_number, action, reason)
        SELECT ${id}, j.id, j.row_number, CASE WHEN j.reason IS NULL THEN 'restored' ELSE 'kept' END, j.reason
        FROM judged j`,
  );
}

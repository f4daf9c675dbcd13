import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { COURIER_CUSTOMER_RULES } from '../courier-customers/courier-customer.rules';
import { query, rowsOf, sql } from '../database/sql';
import {
  ApplyScope,
  BeforeImages,
  checkCells,
  RevertSpec,
  ImportColumn,
  ImportContext,
  ImportDefinition,
  ParsedRow,
  ruleColumn,
  scopeRows,
  stagedColumns,
  stagedFields,
  UpdateTargets,
} from '../import-session/import-definition';
import { FieldError } from '../import-session/field-rules';
import { assignSql, changedSql, ComparedColumn } from '../import-session/import-changes';
import { withBeforeImage } from '../import-session/import-lineage';

/** Positional columns, each with the rule of the REST endpoints. */
const COLUMNS: readonly ImportColumn[] = COURIER_CUSTOMER_RULES.map((rule) => ruleColumn(rule));
const FIELDS = stagedFields(COLUMNS);
const V = stagedColumns(FIELDS);

/** What an upsert writes and compares: the names and the branch (the code is the key). */
const COMPARED: ComparedColumn[] = (['first_name', 'last_name', 'branch'] as const).map((field) => ({
  field,
  column: field,
  value: (_t: string, r: string) => (r === 'EXCLUDED' ? `EXCLUDED.${field}` : `${r}.${V[field]}`),
}));

/**
 * Courier customers (API.md §6): positional columns, the header always skipped, records with fewer than 3
 * cells skipped and listed; rows are upserted by `user_code` within the session's courier.
 */
@Injectable()
export class CourierImportDefinition implements ImportDefinition {
  readonly entity = 'courier_customer';
  readonly label = 'courier customer';
  readonly headerMode = 'positional' as const;
  readonly minCells = 3;
  readonly keyField = 'user_code';
  readonly writes = 'courier_customers';
  readonly columns = COLUMNS;
  readonly fields: readonly string[] = FIELDS;

  /** The rules of the REST endpoints; a missing required value is staged as `''`. */
  parse(cells: readonly string[]): ParsedRow {
    const values: (string | null)[] = [null, null, null, null];
    const errors: FieldError[] = [];
    checkCells(COLUMNS, cells, values, errors);
    for (let i = 0; i < COLUMNS.length; i++) if (values[i] === null && COLUMNS[i].required) values[i] = '';
    const userCode = values[0];
    return { values, errors, key: userCode === '' ? null : userCode };
  }

  /** The courier's customer with each row's `user_code`, if it has one (`match_id`): that one is updated. */
  async analyse(
    manager: EntityManager,
    sessionId: string,
    context: ImportContext,
    _present: ReadonlySet<string>,
    rows: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE ${rows} r SET match_id = c.id
       FROM courier_customers c
       WHERE r.session_id = $1 AND r.match_key IS NOT NULL AND c.courier_id = $2 AND c.user_code = r.match_key`,
      [sessionId, context.courier_id],
    );
  }

  /** The codes among `keys` that the courier has a customer with. */
  async countExisting(
    manager: EntityManager,
    keys: readonly string[],
    context: ImportContext,
  ): Promise<number> {
    const [{ n }]: { n: number }[] = await manager.query(
      `SELECT count(*)::int AS n FROM courier_customers WHERE courier_id = $1 AND user_code = ANY($2::text[])`,
      [context.courier_id, keys],
    );
    return n;
  }

  readonly revert: RevertSpec = {
    table: 'courier_customers',
    archivable: false,
    columns: ['first_name', 'last_name', 'branch', 'updated_at', 'import_id'],
  };

  /**
   * The courier's customers that the scope's rows update (those that differ from their row), and with a null
   * id the rows whose customer is gone or renamed since the validate. A batch finds them by the id its
   * validate matched (a primary key look-up per row: the table grows as the batches of the same transaction
   * insert, and a join on the user code would be planned on stale statistics); a row applied again on its
   * own, the exact way, by its user code.
   */
  updateTargets(scope: ApplyScope): UpdateTargets {
    const courier = sql`${sql.value(scope.context.courier_id)}::uuid`;
    const code = sql.raw(`r.${V.user_code}`);
    const changed = changedSql(COMPARED, 'c', 'r');
    const matched = scope.retry
      ? sql`c.courier_id = ${courier} AND c.user_code = ${code}`
      : sql`c.id = r.match_id AND c.courier_id = ${courier} AND c.user_code = ${code}`;
    // A row applied again finds its customer by code, if there is one; a batch's rows also keep those whose
    // customer is gone or renamed (null id).
    const wanted = scope.retry
      ? sql`c.id IS NOT NULL AND ${changed}`
      : sql`r.match_id IS NOT NULL AND (c.id IS NULL OR ${changed})`;
    // One index look-up per staged row: the table grows by every batch of the transaction while its
    // statistics stay those of before, and a join planned on them would read the whole table each batch.
    const rows = sql`SELECT r.row_number, c.id, r AS staged FROM import_rows r
      LEFT JOIN LATERAL (SELECT * FROM courier_customers c WHERE ${matched} LIMIT 1) c ON true
      WHERE ${scopeRows(scope)} AND r.status IN ('valid', 'warning') AND ${wanted}`;
    return { rows, columns: COMPARED };
  }

  /**
   * Upserts the scope's rows by `user_code` within the courier. The customers found at validate are updated
   * by id where they differ from the row, and the other rows inserted, in one statement; a customer
   * identical to its row is not written (skipped as unchanged). When what the validate found is no longer true
   * (a customer deleted or renamed since), the batch fails and its rows are applied again one at a time with
   * `INSERT … ON CONFLICT DO UPDATE … WHERE <changed>`, where `xmax = 0` tells a created record from an
   * updated one. Only the rows whose outcome the core cannot derive get an outcome row.
   */
  async apply(manager: EntityManager, scope: ApplyScope, before: BeforeImages): Promise<number> {
    const courier = sql`${sql.value(scope.context.courier_id)}::uuid`;
    const rows = sql`${scopeRows(scope)} AND r.status IN ('valid', 'warning')`;
    const staged = (column: string) => sql.raw(`r.${V[column]}`);
    if (scope.retry) {
      const [{ written }] = rowsOf<{ written: number }>(
        await query(
          manager,
          sql`WITH upserted AS (
              INSERT INTO courier_customers AS c (id, import_id, courier_id, user_code, first_name, last_name, branch)
              SELECT r.target_id, ${scope.session}, ${courier}, ${staged('user_code')}, ${staged('first_name')},
                     ${staged('last_name')}, ${staged('branch')}
              FROM import_rows r WHERE ${rows}
              ON CONFLICT (courier_id, user_code) DO UPDATE SET ${assignSql(COMPARED, 'c', 'EXCLUDED')},
                updated_at = now(), import_id = EXCLUDED.import_id
              WHERE ${changedSql(COMPARED, 'c', 'EXCLUDED')}
              RETURNING id, user_code, (xmax = 0) AS inserted
            ), recorded AS (
              -- Updated; identical to the stored customer (not written); or created although the validate had
              -- found a customer. A row written by neither way is left to the core's check, as created.
              INSERT INTO import_row_outcomes (session_id, row_number, outcome, target_id)
              SELECT ${scope.session}, x.row_number, x.outcome, x.id FROM (
                SELECT r.row_number, r.match_id, coalesce(u.id, stored.id) AS id,
                       CASE WHEN u.id IS NOT NULL AND NOT u.inserted THEN 'updated'
                            WHEN u.id IS NULL AND stored.id IS NOT NULL THEN 'skipped' ELSE 'created' END AS outcome
                FROM import_rows r
                LEFT JOIN upserted u ON u.user_code = r.match_key
                LEFT JOIN courier_customers stored ON stored.courier_id = ${courier} AND stored.user_code = r.match_key
                WHERE ${rows}
              ) x
              WHERE NOT (x.outcome = 'created' AND x.match_id IS NULL)
            )
            SELECT count(*)::int AS written FROM upserted`,
        ),
      );
      return written;
    }
    // The batch is rolled back, what it inserted too, and applied again the exact way.
    if (before.stale.length > 0) throw new StaleMatchError();
    // The customers whose before image the batch just took (locked, and found to differ from their row) are
    // updated and the other rows inserted, by one statement (one round trip for a small file); its CTEs see
    // the same snapshot, and the insert touches no updated customer. A batch that updates nothing (the same
    // file again) leaves the update out.
    const update =
      before.targets === 0
        ? sql``
        : sql`updated AS (
              UPDATE courier_customers c SET ${assignSql(COMPARED, 'c', 'r')}, updated_at = now(),
                import_id = ${scope.session}
              FROM import_rows r ${withBeforeImage(scope, 'r')}
              WHERE ${rows} AND r.match_id IS NOT NULL
                AND c.id = r.match_id AND c.courier_id = ${courier} AND c.user_code = ${staged('user_code')}
                AND ${changedSql(COMPARED, 'c', 'r')}
              RETURNING r.row_number, c.id
            ), recorded AS (
              INSERT INTO import_row_outcomes (session_id, row_number, outcome, target_id)
              SELECT ${scope.session}, row_number, 'updated', id FROM updated
            ),`;
    const [{ updated, created }] = rowsOf<{ updated: number; created: number }>(
      await query(
        manager,
        sql`WITH ${update} created AS (
              INSERT INTO courier_customers (id, import_id, courier_id, user_code, first_name, last_name, branch)
              SELECT r.target_id, ${scope.session}, ${courier}, ${staged('user_code')}, ${staged('first_name')},
                     ${staged('last_name')}, ${staged('branch')}
              FROM import_rows r WHERE ${rows} AND r.match_id IS NULL
              RETURNING 1
            )
            SELECT ${before.targets === 0 ? sql`0` : sql`(SELECT count(*)::int FROM updated)`} AS updated,
                   (SELECT count(*)::int FROM created) AS created`,
      ),
    );
    return updated + created;
  }
}

/** A courier customer found at validate is gone or renamed: the batch is applied again the exact way. */
class StaleMatchError extends Error {
  constructor() {
    super('a courier customer found at validate changed since');
  }
}

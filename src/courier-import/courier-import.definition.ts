import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Permission } from '../auth/permissions';
import { checkCourierCustomer } from '../courier-customers/courier-customer.rules';
import {
  ImportColumn,
  ImportContext,
  ImportDefinition,
  ParsedRow,
} from '../import-session/import-definition';

/**
 * Courier customers (API.md §6): positional columns, the header always skipped, records with fewer than 3
 * cells skipped and listed; rows are upserted by `user_code` within the session's courier.
 */
@Injectable()
export class CourierImportDefinition implements ImportDefinition {
  readonly entity = 'courier_customer';
  readonly label = 'courier customer';
  readonly permission = Permission.CustomerAdd;
  readonly headerMode = 'positional' as const;
  readonly minCells = 3;
  readonly keyField = 'user_code';
  readonly columns: readonly ImportColumn[] = [
    { field: 'user_code', required: true },
    { field: 'first_name', required: true },
    { field: 'last_name', required: true },
    { field: 'branch' },
  ];

  parse(cells: Record<string, string>): ParsedRow {
    const { value, errors } = checkCourierCustomer(cells);
    return { data: { ...value }, errors, key: value.user_code === '' ? null : value.user_code };
  }

  /** Nothing to look up: a known `user_code` is updated, a new one created. */
  async analyse(): Promise<void> {}

  /** One `INSERT … ON CONFLICT DO UPDATE` for the batch; `xmax = 0` tells a created row from an updated one. */
  async apply(
    manager: EntityManager,
    sessionId: string,
    rows: number[],
    _options: unknown,
    context: ImportContext,
  ) {
    await manager.query(
      `WITH src AS (
         SELECT row_number, data FROM import_rows
         WHERE session_id = $1 AND row_number = ANY($2) AND outcome IS NULL AND status IN ('valid', 'warning')
       ), upserted AS (
         INSERT INTO courier_customers (courier_id, user_code, first_name, last_name, branch)
         SELECT $3::uuid, data ->> 'user_code', data ->> 'first_name', data ->> 'last_name', data ->> 'branch' FROM src
         ON CONFLICT (courier_id, user_code) DO UPDATE SET
           first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, branch = EXCLUDED.branch, updated_at = now()
         RETURNING id, user_code, (xmax = 0) AS inserted
       )
       UPDATE import_rows r SET outcome = CASE WHEN upserted.inserted THEN 'created' ELSE 'updated' END,
         target_id = upserted.id
       FROM upserted
       WHERE r.session_id = $1 AND r.match_key = upserted.user_code AND r.row_number = ANY($2)
         AND r.outcome IS NULL AND r.status IN ('valid', 'warning')`,
      [sessionId, rows, context.courier_id],
    );
  }
}

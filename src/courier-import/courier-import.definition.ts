import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Permission } from '../auth/permissions';
import { COURIER_CUSTOMER_RULES } from '../courier-customers/courier-customer.rules';
import {
  ApplyScope,
  ImportColumn,
  ImportDefinition,
  ParsedRow,
  stagedColumns,
} from '../import-session/import-definition';
import { checkValue, FieldError } from '../organizations/field-rules';

const FIELDS = ['user_code', 'first_name', 'last_name', 'branch'] as const;
const V = stagedColumns(FIELDS);

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
  readonly writes = 'courier_customers';
  readonly columns: readonly ImportColumn[] = FIELDS.map((field) => ({
    field,
    required: field !== 'branch',
  }));
  readonly fields: readonly string[] = FIELDS;

  /** The rules of the REST endpoints; a missing required value is staged as `''`. */
  parse(cells: readonly string[]): ParsedRow {
    const values: (string | null)[] = [null, null, null, null];
    const errors: FieldError[] = [];
    for (let i = 0; i < COURIER_CUSTOMER_RULES.length; i++) {
      checkValue(COURIER_CUSTOMER_RULES[i], cells[i], values, i, errors);
      if (values[i] === null && COURIER_CUSTOMER_RULES[i].required) values[i] = '';
    }
    const userCode = values[0];
    return { values, errors, key: userCode === '' ? null : userCode };
  }

  /** Nothing to look up: a known `user_code` is updated, a new one created. */
  async analyse(): Promise<void> {}

  /**
   * One `INSERT … ON CONFLICT DO UPDATE` for the scope; `xmax = 0` tells a created record from an updated
   * one, and only the updated ones get an outcome row.
   */
  async apply(manager: EntityManager, { sessionId, from, to, context }: ApplyScope): Promise<void> {
    await manager.query(
      `WITH upserted AS (
         INSERT INTO courier_customers (id, courier_id, user_code, first_name, last_name, branch)
         SELECT r.target_id, $4::uuid, r.${V.user_code}, r.${V.first_name}, r.${V.last_name}, r.${V.branch}
         FROM import_rows r
         WHERE r.session_id = $1 AND r.row_number >= $2 AND r.row_number < $3 AND r.status IN ('valid', 'warning')
         ON CONFLICT (courier_id, user_code) DO UPDATE SET
           first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, branch = EXCLUDED.branch, updated_at = now()
         RETURNING id, user_code, (xmax = 0) AS inserted
       )
       INSERT INTO import_row_outcomes (session_id, row_number, outcome, target_id)
       SELECT $1, r.row_number, 'updated', u.id
       FROM upserted u
       JOIN import_rows r ON r.session_id = $1 AND r.row_number >= $2 AND r.row_number < $3 AND r.match_key = u.user_code
       WHERE NOT u.inserted`,
      [sessionId, from, to, context.courier_id],
    );
  }
}

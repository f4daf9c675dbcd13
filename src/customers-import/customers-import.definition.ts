import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { sql } from '../database/sql';
import { ComparedColumn } from '../import-session/import-changes';
import {
  ApplyScope,
  ImportColumn,
  ImportContext,
  ParsedRow,
  stagedColumns,
  stagedFields,
} from '../import-session/import-definition';
import { ORGANIZATION_COLUMNS, OrganizationImport } from '../organizations/organization-import.definition';

/** The organization columns, `customer` and `client` as names of the company, and the distributor. */
const COLUMNS: readonly ImportColumn[] = [
  ...ORGANIZATION_COLUMNS.map((c) =>
    c.field === 'company_name' ? { ...c, aliases: [...(c.aliases ?? []), 'customer', 'client'] } : c,
  ),
  { field: 'distributor', aliases: ['distributor_name', 'distributore'] },
];
/** `distributor_id` is filled in by the look-up of `analyse`. */
const FIELDS = stagedFields(COLUMNS, ['distributor_id']);
const DISTRIBUTOR = FIELDS.indexOf('distributor');

/**
 * Customers: the organization columns plus an optional `distributor` (a distributor's company name or VAT,
 * resolved among live distributors into `distributor_id`). Placeholder VATs (empty or all zeros) never match
 * anything.
 */
@Injectable()
export class CustomersImportDefinition extends OrganizationImport {
  readonly entity = 'customer';
  readonly label = 'customer';
  protected readonly table = 'customers';
  protected readonly placeholderVatsMatch = false;
  override readonly columns = COLUMNS;
  override readonly fields: readonly string[] = FIELDS;
  protected override readonly v: Record<string, string> = stagedColumns(FIELDS);

  override parse(cells: readonly string[]): ParsedRow {
    const parsed = super.parse(cells);
    const distributor = (cells[DISTRIBUTOR] ?? '').trim();
    parsed.values[DISTRIBUTOR] = distributor === '' ? null : distributor;
    return parsed;
  }

  /** Also resolves `distributor`: none → `not_found`; several → `ambiguous` with the candidates. */
  override async analyse(
    manager: EntityManager,
    sessionId: string,
    context: ImportContext,
    present: ReadonlySet<string>,
    rows: string,
  ): Promise<void> {
    // The distributor first: what an update would change includes the distributor it resolves to.
    if (present.has('distributor')) await this.resolveDistributors(manager, sessionId, rows);
    await super.analyse(manager, sessionId, context, present, rows);
  }

  private async resolveDistributors(manager: EntityManager, sessionId: string, rows: string): Promise<void> {
    const { distributor, distributor_id } = this.v;
    await manager.query(
      `WITH wanted AS (
         SELECT row_number, lower(${distributor}) AS ref
         FROM ${rows} WHERE session_id = $1 AND ${distributor} IS NOT NULL
       ), refs AS (
         SELECT ref, count(d.id)::int AS n, min(d.id::text) AS only_id,
                coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'name', d.company_name, 'vat_number', d.vat_number,
                  'type', 'distributor') ORDER BY d.company_name, d.id) FILTER (WHERE d.id IS NOT NULL), '[]') AS candidates
         FROM (SELECT DISTINCT ref FROM wanted) w
         LEFT JOIN distributors d ON d.archived_at IS NULL AND (lower(d.company_name) = w.ref OR d.vat_key = w.ref)
         GROUP BY ref
       )
       UPDATE ${rows} r SET
         ${distributor_id} = CASE WHEN refs.n = 1 THEN refs.only_id END,
         errors = CASE
           WHEN refs.n = 0 THEN coalesce(r.errors, '[]'::jsonb) || '[{"field": "distributor", "message": "not_found"}]'::jsonb
           WHEN refs.n > 1 THEN coalesce(r.errors, '[]'::jsonb) || jsonb_build_array(jsonb_build_object(
             'field', 'distributor', 'message', 'ambiguous', 'candidates', refs.candidates))
           ELSE r.errors END,
         status = CASE
           WHEN refs.n = 0 THEN 'error'
           WHEN refs.n > 1 AND r.status <> 'error' THEN 'ambiguous'
           ELSE r.status END
       FROM wanted JOIN refs USING (ref)
       WHERE r.session_id = $1 AND r.row_number = wanted.row_number`,
      [sessionId],
    );
  }

  /** A resolved ambiguous row takes the chosen distributor; any other, the one its reference found. */
  protected override extraInsert(scope: ApplyScope) {
    return {
      columns: sql`, distributor_id`,
      values: sql`, CASE WHEN r.status = 'ambiguous' THEN (${scope.resolutions} ->> r.row_number::text)::uuid
        ELSE r.${sql.raw(this.v.distributor_id)}::uuid END`,
    };
  }

  /** A row whose distributor cell is empty keeps the record's distributor. */
  protected override compared(present: ReadonlySet<string>): ComparedColumn[] {
    const columns = super.compared(present);
    if (!present.has('distributor')) return columns;
    const staged = this.v.distributor_id;
    return [
      ...columns,
      {
        field: 'distributor_id',
        column: 'distributor_id',
        value: (t, r) => `coalesce(${r}.${staged}::uuid, ${t}.distributor_id)`,
      },
    ];
  }

  protected override extraRestored(): string[] {
    return ['distributor_id'];
  }
}

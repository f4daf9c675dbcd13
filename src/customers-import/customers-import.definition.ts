import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Permission } from '../auth/permissions';
import { ImportColumn, ParsedRow } from '../import-session/import-definition';
import { ORGANIZATION_COLUMNS, OrganizationImport } from '../organizations/organization-import';

/**
 * Customers: the organization columns plus an optional `distributor` (a distributor's company name or VAT,
 * resolved among live distributors). Placeholder VATs (empty or all zeros) never match anything.
 */
@Injectable()
export class CustomersImportDefinition extends OrganizationImport {
  readonly entity = 'customer';
  readonly label = 'customer';
  readonly permission = Permission.CustomerImport;
  protected readonly table = 'customers';
  protected readonly placeholderVatsMatch = false;
  override readonly columns: readonly ImportColumn[] = [
    ...ORGANIZATION_COLUMNS.map((c) =>
      c.field === 'company_name' ? { ...c, aliases: [...(c.aliases ?? []), 'customer', 'client'] } : c,
    ),
    { field: 'distributor', aliases: ['distributor_name', 'distributore'] },
  ];

  override parse(cells: Record<string, string>): ParsedRow {
    const parsed = super.parse(cells);
    const distributor = (cells.distributor ?? '').trim();
    parsed.data.distributor = distributor === '' ? null : distributor;
    return parsed;
  }

  /** Also resolves `distributor`: none → `not_found`; several → `ambiguous` with the candidates. */
  override async analyse(manager: EntityManager, sessionId: string): Promise<void> {
    await super.analyse(manager, sessionId);
    await manager.query(
      `WITH wanted AS (
         SELECT row_number, lower(data ->> 'distributor') AS ref
         FROM import_rows WHERE session_id = $1 AND data ->> 'distributor' IS NOT NULL
       ), refs AS (
         SELECT ref, count(d.id)::int AS n, min(d.id::text) AS only_id,
                coalesce(jsonb_agg(jsonb_build_object('id', d.id, 'name', d.company_name, 'vat_number', d.vat_number,
                  'type', 'distributor') ORDER BY d.company_name, d.id) FILTER (WHERE d.id IS NOT NULL), '[]') AS candidates
         FROM (SELECT DISTINCT ref FROM wanted) w
         LEFT JOIN distributors d ON d.archived_at IS NULL AND (lower(d.company_name) = w.ref OR d.vat_key = w.ref)
         GROUP BY ref
       )
       UPDATE import_rows r SET
         data = CASE WHEN refs.n = 1 THEN r.data || jsonb_build_object('distributor_id', refs.only_id) ELSE r.data END,
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

  protected override extraInsert() {
    return { columns: ', distributor_id', values: `, (src.data ->> 'distributor_id')::uuid` };
  }

  protected override extraAssign(): string {
    return `, distributor_id = CASE WHEN src.data ? 'distributor_id' THEN (src.data ->> 'distributor_id')::uuid
      ELSE customers.distributor_id END`;
  }
}

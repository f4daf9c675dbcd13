import { EntityManager } from 'typeorm';
import { Permission } from '../auth/permissions';
import {
  ConfirmOptions,
  ImportColumn,
  ImportDefinition,
  ParsedRow,
} from '../import-session/import-definition';
import { checkFields } from './field-rules';
import { isPlaceholderVat, ORGANIZATION_RULES, vatKey } from './organization.rules';

/** Header names accepted for each organization column, besides the column's own name. */
export const ORGANIZATION_COLUMNS: readonly ImportColumn[] = [
  { field: 'company_name', required: true, aliases: ['name', 'company', 'company name', 'ragione sociale'] },
  { field: 'description', aliases: ['descrizione'] },
  {
    field: 'vat_number',
    required: true,
    aliases: ['vat', 'piva', 'p_iva', 'partita iva', 'vat_id', 'vat number'],
  },
  { field: 'address', aliases: ['indirizzo', 'street'] },
  { field: 'city', aliases: ['città', 'citta', 'town'] },
  { field: 'main_contact', aliases: ['contact', 'main contact', 'referente'] },
  { field: 'email', aliases: ['e-mail', 'mail'] },
  { field: 'phone', aliases: ['telephone', 'tel', 'phone_number', 'telefono'] },
  { field: 'language', aliases: ['lang', 'lingua'] },
  { field: 'notes', aliases: ['note', 'comments'] },
];

/** `data ->> 'field'` for each organization column, in table order. */
const VALUES = ORGANIZATION_RULES.map((r) => `src.data ->> '${r.field}'`).join(', ');
const COLUMNS = ORGANIZATION_RULES.map((r) => r.field).join(', ');
const ASSIGN = ORGANIZATION_RULES.map((r) => `${r.field} = src.data ->> '${r.field}'`).join(', ');

/**
 * What customers and distributors share as imports: the columns and rules of API.md §4, the VAT as key,
 * `already_exists`/`archived` from one set-based look-up, CREATE for valid rows and UPDATE by VAT for
 * overridden warnings.
 */
export abstract class OrganizationImport implements ImportDefinition {
  abstract readonly entity: string;
  abstract readonly label: string;
  abstract readonly permission: Permission;
  /** The table written: `customers` or `distributors`. */
  protected abstract readonly table: 'customers' | 'distributors';
  /** Whether placeholder VATs (empty or all zeros) count as duplicates and look-up keys. */
  protected abstract readonly placeholderVatsMatch: boolean;
  readonly headerMode = 'named' as const;
  readonly keyField = 'vat_number';
  readonly columns: readonly ImportColumn[] = ORGANIZATION_COLUMNS;

  parse(cells: Record<string, string>): ParsedRow {
    const { value, errors } = checkFields(ORGANIZATION_RULES, cells);
    const vat = value.vat_number;
    const key = vat === null || (!this.placeholderVatsMatch && isPlaceholderVat(vat)) ? null : vatKey(vat);
    return { data: value, errors, key };
  }

  /** `already_exists` (a live record has the VAT) or `archived` (only an archived one has it). */
  async analyse(manager: EntityManager, sessionId: string): Promise<void> {
    await manager.query(
      `WITH existing AS (
         SELECT t.vat_key, bool_or(t.archived_at IS NULL) AS live
         FROM ${this.table} t
         WHERE t.vat_key IN (SELECT match_key FROM import_rows WHERE session_id = $1 AND match_key IS NOT NULL)
         GROUP BY t.vat_key
       )
       UPDATE import_rows r SET
         warnings = CASE WHEN e.live THEN coalesce(r.warnings, '[]'::jsonb)
           || '[{"field": "vat_number", "message": "already_exists"}]'::jsonb ELSE r.warnings END,
         errors = CASE WHEN e.live THEN r.errors ELSE coalesce(r.errors, '[]'::jsonb)
           || '[{"field": "vat_number", "message": "archived"}]'::jsonb END,
         status = CASE WHEN NOT e.live THEN 'error' WHEN r.status IN ('error', 'ambiguous') THEN r.status ELSE 'warning' END
       FROM existing e
       WHERE r.session_id = $1 AND r.match_key = e.vat_key`,
      [sessionId],
    );
  }

  /** Extra columns written on create and update (customers: `distributor_id`). */
  protected extraInsert(): { columns: string; values: string } {
    return { columns: '', values: '' };
  }

  protected extraAssign(): string {
    return '';
  }

  async apply(
    manager: EntityManager,
    sessionId: string,
    rows: number[],
    options: ConfirmOptions,
  ): Promise<void> {
    const extra = this.extraInsert();
    await manager.query(
      `WITH src AS (
         SELECT row_number, gen_random_uuid() AS id,
                CASE WHEN status = 'ambiguous' THEN data || jsonb_build_object('distributor_id', $3::jsonb ->> row_number::text)
                     ELSE data END AS data
         FROM import_rows
         WHERE session_id = $1 AND row_number = ANY($2) AND outcome IS NULL AND status IN ('valid', 'ambiguous')
       ), created AS (
         INSERT INTO ${this.table} (id, ${COLUMNS}${extra.columns})
         SELECT src.id, ${VALUES}${extra.values} FROM src
       )
       -- The INSERT runs to completion or fails the whole statement, so every src row was created.
       UPDATE import_rows r SET outcome = 'created', target_id = src.id
       FROM src
       WHERE r.session_id = $1 AND r.row_number = src.row_number`,
      [sessionId, rows, JSON.stringify(options.resolutions)],
    );
    if (!options.override) return;
    await manager.query(
      `WITH src AS (
         SELECT r.row_number, r.data, t.id AS target
         FROM import_rows r
         JOIN LATERAL (
           SELECT id FROM ${this.table} WHERE vat_key = r.match_key AND archived_at IS NULL ORDER BY created_at, id LIMIT 1
         ) t ON true
         WHERE r.session_id = $1 AND r.row_number = ANY($2) AND r.outcome IS NULL AND r.status = 'warning'
       ), updated AS (
         UPDATE ${this.table} SET ${ASSIGN}${this.extraAssign()}, updated_at = now()
         FROM src WHERE ${this.table}.id = src.target
       )
       -- Every src row's target is live (the LATERAL join found it), so the UPDATE wrote every one of them.
       UPDATE import_rows r SET outcome = 'updated', target_id = src.target
       FROM src WHERE r.session_id = $1 AND r.row_number = src.row_number`,
      [sessionId, rows],
    );
    await manager.query(
      `UPDATE import_rows SET outcome = 'failed', error = 'no live record with this VAT exists any more'
       WHERE session_id = $1 AND row_number = ANY($2) AND outcome IS NULL AND status = 'warning'`,
      [sessionId, rows],
    );
  }
}

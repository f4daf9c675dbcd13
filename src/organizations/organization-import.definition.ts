import { EntityManager } from 'typeorm';
import { query, Sql, sql } from '../database/sql';
import {
  ApplyScope,
  ImportColumn,
  ImportContext,
  ImportDefinition,
  ParsedRow,
  scopeRows,
  stagedColumns,
} from '../import-session/import-definition';
import { checkValue, FieldError } from '../import-session/field-rules';
import { assignSql, changedSql, changesSql, ComparedColumn } from '../import-session/import-changes';
import { isPlaceholderVat, ORGANIZATION_FIELDS, ORGANIZATION_RULES, vatKey } from './organization.rules';

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

const COLUMNS = ORGANIZATION_FIELDS.join(', ');
const VAT = ORGANIZATION_FIELDS.indexOf('vat_number');
if (ORGANIZATION_RULES.some((rule, i) => rule.field !== ORGANIZATION_FIELDS[i])) {
  throw new Error('ORGANIZATION_RULES must list the fields in the order of ORGANIZATION_FIELDS');
}

/**
 * What customers and distributors share as imports: the columns and rules of API.md §4, the VAT as key,
 * `already_exists`/`archived` from one set-based look-up, CREATE for valid rows and UPDATE by VAT for
 * overridden warnings.
 */
export abstract class OrganizationImport implements ImportDefinition {
  abstract readonly entity: string;
  abstract readonly label: string;
  /** The table written: `customers` or `distributors`. */
  protected abstract readonly table: 'customers' | 'distributors';
  /** Whether placeholder VATs (empty or all zeros) count as duplicates and look-up keys. */
  protected abstract readonly placeholderVatsMatch: boolean;
  readonly headerMode = 'named' as const;
  readonly keyField = 'vat_number';
  get writes(): string {
    return this.table;
  }
  readonly columns: readonly ImportColumn[] = ORGANIZATION_COLUMNS;
  readonly fields: readonly string[] = ORGANIZATION_FIELDS;
  /** The staged column of each field. */
  protected readonly v: Record<string, string> = stagedColumns(ORGANIZATION_FIELDS);

  parse(cells: readonly string[]): ParsedRow {
    const values = new Array<string | null>(this.fields.length).fill(null);
    const errors: FieldError[] = [];
    for (let i = 0; i < ORGANIZATION_RULES.length; i++) {
      checkValue(ORGANIZATION_RULES[i], cells[i], values, i, errors);
    }
    const vat = values[VAT];
    const key = vat === null || (!this.placeholderVatsMatch && isPlaceholderVat(vat)) ? null : vatKey(vat);
    return { values, errors, key };
  }

  /**
   * The columns an update from this file writes and compares: those of the fields the file has. The staged
   * values are already normalised as the confirm writes them.
   */
  protected compared(present: ReadonlySet<string>): ComparedColumn[] {
    return ORGANIZATION_FIELDS.filter((f) => present.has(f)).map((field) => ({
      field,
      column: field,
      value: (_t: string, r: string) => `${r}.${this.v[field]}`,
    }));
  }

  /**
   * `already_exists` (a live record has the VAT) or `archived` (only an archived one has it). The oldest live
   * record with the VAT is the one an overridden warning updates (`match_id`); the same statement stores what
   * an update of it would change (`changes`, null when nothing).
   */
  async analyse(
    manager: EntityManager,
    sessionId: string,
    _context: ImportContext,
    present: ReadonlySet<string>,
  ): Promise<void> {
    const table = sql.raw(this.table);
    await query(
      manager,
      sql`WITH existing AS (
         SELECT t.vat_key, bool_or(t.archived_at IS NULL) AS live,
                (array_agg(t.id ORDER BY t.created_at, t.id) FILTER (WHERE t.archived_at IS NULL))[1] AS oldest
         FROM ${table} t
         WHERE t.vat_key IN (SELECT match_key FROM import_rows WHERE session_id = ${sessionId}::uuid AND match_key IS NOT NULL)
         GROUP BY t.vat_key
       )
       UPDATE import_rows r SET
         match_id = e.oldest,
         changes = CASE WHEN e.live THEN ${changesSql(this.compared(present), 't', 'r')} END,
         warnings = CASE WHEN e.live THEN coalesce(r.warnings, '[]'::jsonb)
           || '[{"field": "vat_number", "message": "already_exists"}]'::jsonb ELSE r.warnings END,
         errors = CASE WHEN e.live THEN r.errors ELSE coalesce(r.errors, '[]'::jsonb)
           || '[{"field": "vat_number", "message": "archived"}]'::jsonb END,
         status = CASE WHEN NOT e.live THEN 'error' WHEN r.status IN ('error', 'ambiguous') THEN r.status ELSE 'warning' END
       FROM existing e LEFT JOIN ${table} t ON t.id = e.oldest
       WHERE r.session_id = ${sessionId}::uuid AND r.match_key = e.vat_key`,
    );
  }

  /** Extra columns written on create (customers: `distributor_id`), as `{columns, values}` over `r`. */
  protected extraInsert(_scope: ApplyScope): { columns: Sql; values: Sql } {
    return { columns: sql``, values: sql`` };
  }

  async apply(manager: EntityManager, scope: ApplyScope): Promise<void> {
    const { options } = scope;
    const v = this.v;
    const table = sql.raw(this.table);
    const extra = this.extraInsert(scope);
    await query(
      manager,
      sql`INSERT INTO ${table} (id, ${sql.raw(COLUMNS)}${extra.columns})
          SELECT r.target_id, ${sql.raw(ORGANIZATION_FIELDS.map((f) => `r.${v[f]}`).join(', '))}${extra.values}
          FROM import_rows r
          WHERE ${scopeRows(scope)}
            AND (r.status = 'valid' OR (r.status = 'ambiguous' AND ${scope.resolutions} ? r.row_number::text))`,
    );
    if (!options.override) return;
    // The record found at validate, if it is still live and differs from the row; a row whose record is
    // identical is not written (no outcome row: skipped as unchanged), one whose record was archived since
    // fails. What differs is decided here, from the records as they are now.
    const compared = this.compared(scope.present);
    await query(
      manager,
      sql`WITH updated AS (
            UPDATE ${table} t SET ${assignSql(compared, 't', 'src')}, updated_at = now()
            FROM import_rows src
            WHERE ${scopeRows(scope, 'src')} AND src.status = 'warning'
              AND t.id = src.match_id AND t.archived_at IS NULL AND ${changedSql(compared, 't', 'src')}
            RETURNING src.row_number, t.id
          )
          INSERT INTO import_row_outcomes (session_id, row_number, outcome, target_id, error)
          SELECT ${scope.session}, row_number, 'updated', id, NULL FROM updated
          UNION ALL
          SELECT ${scope.session}, r.row_number, 'failed', NULL,
                 'the record with this VAT was archived after the validate'
          FROM import_rows r
          WHERE ${scopeRows(scope)} AND r.status = 'warning'
            AND NOT EXISTS (SELECT 1 FROM ${table} live WHERE live.id = r.match_id AND live.archived_at IS NULL)`,
    );
  }
}

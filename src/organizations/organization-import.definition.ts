import { EntityManager } from 'typeorm';
import { query, Sql, sql } from '../database/sql';
import {
  ApplyScope,
  ImportColumn,
  ImportContext,
  ImportDefinition,
  ParsedRow,
  RevertSpec,
  scopeRows,
  stagedColumns,
} from '../import-session/import-definition';
import { checkValue, FieldError } from '../import-session/field-rules';
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
   * `already_exists` (a live record has the VAT) or `archived` (only an archived one has it). The oldest live
   * record with the VAT is the one an overridden warning updates (`match_id`).
   */
  async analyse(
    manager: EntityManager,
    sessionId: string,
    _context?: ImportContext,
    _present?: ReadonlySet<string>,
  ): Promise<void> {
    await manager.query(
      `WITH existing AS (
         SELECT t.vat_key, bool_or(t.archived_at IS NULL) AS live,
                (array_agg(t.id ORDER BY t.created_at, t.id) FILTER (WHERE t.archived_at IS NULL))[1] AS oldest
         FROM ${this.table} t
         WHERE t.vat_key IN (SELECT match_key FROM import_rows WHERE session_id = $1 AND match_key IS NOT NULL)
         GROUP BY t.vat_key
       )
       UPDATE import_rows r SET
         match_id = e.oldest,
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

  /** Extra columns written on create (customers: `distributor_id`), as `{columns, values}` over `r`. */
  protected extraInsert(_scope: ApplyScope): { columns: Sql; values: Sql } {
    return { columns: sql``, values: sql`` };
  }

  /** Extra columns an undo puts back besides the organization fields (customers: `distributor_id`). */
  protected extraRestored(): string[] {
    return [];
  }

  /** A predicate over `t`: something now references the record (customers of a distributor). */
  protected referencedBy(): Sql | undefined {
    return undefined;
  }

  get revert(): RevertSpec {
    return {
      table: this.table,
      archivable: true,
      columns: [...ORGANIZATION_FIELDS, ...this.extraRestored(), 'updated_at', 'import_id'],
      referenced: this.referencedBy(),
    };
  }

  /** With `override`, the live records the scope's warning rows update (their VAT matched at validate). */
  updateTargets(scope: ApplyScope): Sql | null {
    if (!scope.options.override) return null;
    return sql`SELECT src.row_number, src.match_id AS id FROM import_rows src
      WHERE ${scopeRows(scope, 'src')} AND src.status = 'warning' AND src.match_id IS NOT NULL`;
  }

  /** Extra assignments on update, over `src` (the staged row). */
  protected extraAssign(): Sql {
    return sql``;
  }

  async apply(manager: EntityManager, scope: ApplyScope): Promise<void> {
    const { options } = scope;
    const v = this.v;
    const table = sql.raw(this.table);
    const extra = this.extraInsert(scope);
    await query(
      manager,
      sql`INSERT INTO ${table} (id, import_id, ${sql.raw(COLUMNS)}${extra.columns})
          SELECT r.target_id, ${scope.session}, ${sql.raw(ORGANIZATION_FIELDS.map((f) => `r.${v[f]}`).join(', '))}${extra.values}
          FROM import_rows r
          WHERE ${scopeRows(scope)}
            AND (r.status = 'valid' OR (r.status = 'ambiguous' AND ${scope.resolutions} ? r.row_number::text))`,
    );
    if (!options.override) return;
    // The record found at validate, if it is still live; a row whose record was archived since fails.
    await query(
      manager,
      sql`WITH updated AS (
            UPDATE ${table} SET ${sql.raw(ORGANIZATION_FIELDS.map((f) => `${f} = src.${v[f]}`).join(', '))}${this.extraAssign()},
              updated_at = now(), import_id = ${scope.session}
            FROM import_rows src
            WHERE ${scopeRows(scope, 'src')} AND src.status = 'warning'
              AND ${table}.id = src.match_id AND ${table}.archived_at IS NULL
            RETURNING src.row_number, ${table}.id
          )
          INSERT INTO import_row_outcomes (session_id, row_number, outcome, target_id, error)
          SELECT ${scope.session}, r.row_number, CASE WHEN u.id IS NULL THEN 'failed' ELSE 'updated' END, u.id,
                 CASE WHEN u.id IS NULL THEN 'the record with this VAT was archived after the validate' END
          FROM import_rows r LEFT JOIN updated u ON u.row_number = r.row_number
          WHERE ${scopeRows(scope)} AND r.status = 'warning'`,
    );
  }
}

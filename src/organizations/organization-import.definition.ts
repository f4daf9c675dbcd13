import { EntityManager } from 'typeorm';
import { execute, query, rowsOf, Sql, sql } from '../database/sql';
import { FieldError } from '../import-session/field-rules';
import {
  ApplyScope,
  BeforeImages,
  checkCells,
  ImportColumn,
  ImportContext,
  ImportDefinition,
  ParsedRow,
  RevertSpec,
  ruleColumn,
  scopeRows,
  stagedColumns,
  stagedFields,
  UpdateTargets,
} from '../import-session/import-definition';
import { assignSql, changedSql, changesSql, ComparedColumn } from '../import-session/import-changes';
import { withBeforeImage } from '../import-session/import-lineage';
import { isPlaceholderVat, ORGANIZATION_FIELDS, ORGANIZATION_RULES, vatKey } from './organization.rules';

const RULE = Object.fromEntries(ORGANIZATION_RULES.map((rule) => [rule.field, rule]));

/** The organization columns: each with its rule and the header names accepted besides its own. */
export const ORGANIZATION_COLUMNS: readonly ImportColumn[] = [
  ruleColumn(RULE.company_name, ['name', 'company', 'company name', 'ragione sociale']),
  ruleColumn(RULE.description, ['descrizione']),
  ruleColumn(RULE.vat_number, ['vat', 'piva', 'p_iva', 'partita iva', 'vat_id', 'vat number']),
  ruleColumn(RULE.address, ['indirizzo', 'street']),
  ruleColumn(RULE.city, ['città', 'citta', 'town']),
  ruleColumn(RULE.main_contact, ['contact', 'main contact', 'referente']),
  ruleColumn(RULE.email, ['e-mail', 'mail']),
  ruleColumn(RULE.phone, ['telephone', 'tel', 'phone_number', 'telefono']),
  ruleColumn(RULE.language, ['lang', 'lingua']),
  ruleColumn(RULE.notes, ['note', 'comments']),
];

const COLUMNS = ORGANIZATION_FIELDS.join(', ');

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
  readonly fields: readonly string[] = stagedFields(ORGANIZATION_COLUMNS);
  /** The staged column of each field. */
  protected readonly v: Record<string, string> = stagedColumns(this.fields);
  private readonly vat = this.fields.indexOf('vat_number');

  parse(cells: readonly string[]): ParsedRow {
    const values = new Array<string | null>(this.fields.length).fill(null);
    const errors: FieldError[] = [];
    checkCells(this.columns, cells, values, errors);
    const vat = values[this.vat];
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
    rows: string,
  ): Promise<void> {
    const table = sql.raw(this.table);
    // A plain hash join of the session's keys with the table, where an anti-join keeps, per VAT, the record
    // that ranks first (live before archived, then the oldest). The same choice made by sorting the records
    // per VAT took seven times as long on a million rows.
    await query(
      manager,
      sql`UPDATE ${sql.raw(rows)} r SET
         match_id = CASE WHEN t.archived_at IS NULL THEN t.id END,
         changes = CASE WHEN t.archived_at IS NULL THEN ${changesSql(this.compared(present), 't', 'r')} END,
         warnings = CASE WHEN t.archived_at IS NULL THEN coalesce(r.warnings, '[]'::jsonb)
           || '[{"field": "vat_number", "message": "already_exists"}]'::jsonb ELSE r.warnings END,
         errors = CASE WHEN t.archived_at IS NULL THEN r.errors ELSE coalesce(r.errors, '[]'::jsonb)
           || '[{"field": "vat_number", "message": "archived"}]'::jsonb END,
         status = CASE WHEN t.archived_at IS NOT NULL THEN 'error'
           WHEN r.status IN ('error', 'ambiguous') THEN r.status ELSE 'warning' END
       FROM ${table} t
       WHERE r.session_id = ${sessionId}::uuid AND r.match_key = t.vat_key
         AND NOT EXISTS (
           SELECT 1 FROM ${table} b
           WHERE b.vat_key = t.vat_key AND b.id <> t.id
             AND (b.archived_at IS NULL, t.created_at, t.id) > (t.archived_at IS NULL, b.created_at, b.id)
         )`,
    );
  }

  /** The VATs among `keys` (VAT keys) that a record has, live or archived. */
  async countExisting(manager: EntityManager, keys: readonly string[]): Promise<number> {
    const [{ n }] = rowsOf<{ n: number }>(
      await query(
        manager,
        sql`SELECT count(DISTINCT vat_key)::int AS n FROM ${sql.raw(this.table)} WHERE vat_key = ANY(${keys}::text[])`,
      ),
    );
    return n;
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

  /**
   * With `override`, the live records the scope's warning rows will update: those their VAT matched at
   * validate that still differ from the row (an unchanged row is not written, so it has no before image),
   * and with a null id the rows whose record was archived since.
   */
  updateTargets(scope: ApplyScope): UpdateTargets | null {
    if (!scope.options.override) return null;
    const table = sql.raw(this.table);
    const columns = this.compared(scope.present);
    // One primary key look-up per staged row (LIMIT 1 keeps it one): a join, planned on a batch of a few
    // thousand rows, read the whole table for each batch of a large session.
    const rows = sql`SELECT src.row_number, t.id, src AS staged FROM import_rows src
      LEFT JOIN LATERAL (SELECT * FROM ${table} t WHERE t.id = src.match_id AND t.archived_at IS NULL LIMIT 1) t ON true
      WHERE ${scopeRows(scope, 'src')} AND src.status = 'warning'
        AND (t.id IS NULL OR ${changedSql(columns, 't', 'src')})`;
    return { rows, columns };
  }

  async apply(manager: EntityManager, scope: ApplyScope, before: BeforeImages): Promise<number> {
    const { options } = scope;
    const v = this.v;
    const table = sql.raw(this.table);
    const extra = this.extraInsert(scope);
    const created = !scope.creates
      ? 0
      : await execute(
          manager,
          sql`INSERT INTO ${table} (id, import_id, ${sql.raw(COLUMNS)}${extra.columns})
          SELECT r.target_id, ${scope.session}, ${sql.raw(ORGANIZATION_FIELDS.map((f) => `r.${v[f]}`).join(', '))}${extra.values}
          FROM import_rows r
          WHERE ${scopeRows(scope)}
            AND (r.status = 'valid' OR (r.status = 'ambiguous' AND ${scope.resolutions} ? r.row_number::text))`,
        );
    if (!options.override) return created;
    // A row whose record was archived since the validate fails.
    if (before.stale.length > 0) {
      await query(
        manager,
        sql`INSERT INTO import_row_outcomes (session_id, row_number, outcome, target_id, error)
            SELECT ${scope.session}, n, 'failed', NULL, 'the record with this VAT was archived after the validate'
            FROM unnest(${sql.value(before.stale)}::int[]) n`,
      );
    }
    if (before.targets === 0) return created;
    // The records whose before image the batch just took (locked, and found to differ from their row); any
    // other warning row is skipped as unchanged (no outcome row). What differs is decided again here, from
    // the records as they are now.
    const compared = this.compared(scope.present);
    const updated = await execute(
      manager,
      sql`WITH updated AS (
            UPDATE ${table} t SET ${assignSql(compared, 't', 'src')}, updated_at = now(), import_id = ${scope.session}
            FROM import_rows src ${withBeforeImage(scope, 'src')}
            WHERE ${scopeRows(scope, 'src')} AND src.status = 'warning'
              AND t.id = src.match_id AND t.archived_at IS NULL AND ${changedSql(compared, 't', 'src')}
            RETURNING src.row_number, t.id
          )
          INSERT INTO import_row_outcomes (session_id, row_number, outcome, target_id, error)
          SELECT ${scope.session}, row_number, 'updated', id, NULL FROM updated`,
    );
    return created + updated;
  }
}

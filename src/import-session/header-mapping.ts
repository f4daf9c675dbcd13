import { ImportColumn, ImportDefinition } from './import-definition';
import { ImportException, ImportExceptionCode } from './import.exception';

/** How a header name is compared: trimmed, lower-cased, runs of blanks, `-` and `.` as one `_`. */
export const normalizeHeader = (name: string) =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s\-.]+/g, '_');

export interface HeaderMapping {
  /** Field → cell index. */
  indexes: Map<string, number>;
  /** Header names that are not imported. */
  ignored: string[];
}

/**
 * Finds each column of the definition in the header (by name or alias, any order). A missing required
 * column, or a column given twice, refuses the file, naming the columns.
 */
export function mapHeader(definition: ImportDefinition, header: string[]): HeaderMapping {
  if (definition.headerMode === 'positional') {
    return { indexes: new Map(definition.columns.map((c, i) => [c.field, i])), ignored: [] };
  }
  const byName = new Map<string, ImportColumn>();
  for (const column of definition.columns) {
    for (const name of [column.field, ...(column.aliases ?? [])]) byName.set(normalizeHeader(name), column);
  }
  const indexes = new Map<string, number>();
  const ignored: string[] = [];
  header.forEach((name, index) => {
    const column = byName.get(normalizeHeader(name));
    if (!column) {
      ignored.push(name);
      return;
    }
    const previous = indexes.get(column.field);
    if (previous !== undefined) {
      throw new ImportException(
        ImportExceptionCode.DUPLICATED_COLUMN,
        `column ${column.field} appears twice in the header ("${header[previous]}" and "${name}")`,
        { duplicated_column: column.field },
      );
    }
    indexes.set(column.field, index);
  });
  const missing = definition.columns.filter((c) => c.required && !indexes.has(c.field)).map((c) => c.field);
  if (missing.length > 0) {
    const expected = definition.columns.map((c) => c.field);
    throw new ImportException(
      ImportExceptionCode.MISSING_COLUMNS,
      `missing required column${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}. Expected columns: ${expected.join(', ')}`,
      { missing_columns: missing, expected_columns: expected },
    );
  }
  return { indexes, ignored };
}

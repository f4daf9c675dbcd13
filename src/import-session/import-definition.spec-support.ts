import { EntityManager } from 'typeorm';
import {
  ApplyScope,
  checkCells,
  ImportColumn,
  ImportDefinition,
  ParsedRow,
  stagedFields,
} from './import-definition';
import { FieldError } from './field-rules';

/**
 * A small definition for the core's unit specs: three named columns with rules, aliases and a required one,
 * in the manner of the entities' definitions, without their database work.
 */
export function testDefinition(headerMode: 'named' | 'positional' = 'named'): ImportDefinition {
  const columns: ImportColumn[] = [
    {
      field: 'name',
      required: true,
      aliases: ['company', 'ragione sociale'],
      rule: { field: 'name', required: true, maxChars: 20 },
    },
    {
      field: 'code',
      required: true,
      aliases: ['vat', 'p iva'],
      rule: { field: 'code', required: true, maxChars: 10 },
    },
    {
      field: 'lang',
      aliases: ['lingua'],
      rule: { field: 'lang', lowerCase: true, oneOf: ['it', 'en'], fallback: 'it' },
    },
  ];
  const fields = stagedFields(columns);
  return {
    entity: 'test',
    label: 'test',
    columns,
    headerMode,
    keyField: 'code',
    writes: 'test',
    fields,
    parse(cells: readonly string[]): ParsedRow {
      const values = new Array<string | null>(fields.length).fill(null);
      const errors: FieldError[] = [];
      checkCells(columns, cells, values, errors);
      return { values, errors, key: values[1] };
    },
    analyse: (_manager: EntityManager) => Promise.resolve(),
    apply: (_manager: EntityManager, _scope: ApplyScope) => Promise.resolve(0),
    updateTargets: () => null,
    revert: { table: 'test', columns: [], archivable: false },
  };
}

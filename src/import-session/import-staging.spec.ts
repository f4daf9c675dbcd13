import { mapHeader } from './header-mapping';
import { cellLayout, parseRecord, rowStatus } from './import-staging';
import { testDefinition } from './import-definition.spec-support';

describe('rowStatus', () => {
  const e = (message: string) => ({ field: 'f', message });
  it('is error before ambiguous before warning before valid', () => {
    expect(rowStatus([], [])).toBe('valid');
    expect(rowStatus([], [e('already_exists')])).toBe('warning');
    expect(rowStatus([e('ambiguous')], [e('already_exists')])).toBe('ambiguous');
    expect(rowStatus([e('ambiguous'), e('required')], [])).toBe('error');
    expect(rowStatus([e('required')], [e('already_exists')])).toBe('error');
  });
});

describe('parseRecord', () => {
  const definition = testDefinition();
  const header = ['vat', 'company', 'extra'];
  const layout = cellLayout(definition, mapHeader(definition, header), header.length);
  const parse = (cells: string[], overlong?: number[], maxCellChars = 10_000) =>
    parseRecord(definition, layout, { rowNumber: 2, cells, overlong }, {}, maxCellChars);

  it('reads each column from its cell, whatever the order, and normalises it by its rule', () => {
    expect(parse(['IT1 ', ' Acme', 'ignored'])).toEqual({
      values: ['Acme', 'IT1', 'it'],
      errors: [],
      key: 'IT1',
    });
  });

  it('a named row with the wrong number of cells is invalid_format, reported first', () => {
    expect(parse(['IT1', '']).errors).toEqual([
      { field: 'row', message: 'invalid_format', values: ['expected 3 fields, found 2'] },
      { field: 'name', message: 'required' },
    ]);
  });

  it('a cell over the cell limit is too_long whatever its rule, once', () => {
    expect(parse(['IT1', 'Acme', 'x'], [1]).errors).toEqual([{ field: 'name', message: 'too_long' }]);
    expect(parse(['IT1', 'Acme Acme Acme', 'x'], undefined, 10).errors).toEqual([
      { field: 'name', message: 'too_long' },
    ]);
    // The rule's own too_long is not doubled.
    expect(parse(['IT1', 'A'.repeat(30), 'x'], undefined, 25).errors).toEqual([
      { field: 'name', message: 'too_long' },
    ]);
    // An ignored column's long cell is nobody's error.
    expect(parse(['IT1', 'Acme', 'x'.repeat(20)], undefined, 10).errors).toEqual([]);
  });

  it('a positional row is not held to the header width', () => {
    const positional = testDefinition('positional');
    const layout = cellLayout(positional, mapHeader(positional, ['a', 'b', 'c']), 3);
    const row = parseRecord(positional, layout, { rowNumber: 2, cells: ['Acme', 'C1'] }, {}, 100);
    expect(row).toEqual({ values: ['Acme', 'C1', 'it'], errors: [], key: 'C1' });
  });
});

import { mapHeader, normalizeHeader } from './header-mapping';
import { ImportException, ImportExceptionCode } from './import.exception';
import { testDefinition } from './import-definition.spec-support';

describe('header mapping', () => {
  const definition = testDefinition();

  it('normalises names: trimmed, lower-cased, blanks, dashes and dots as one underscore', () => {
    expect(normalizeHeader('  Partita  IVA ')).toBe('partita_iva');
    expect(normalizeHeader('E-Mail')).toBe('e_mail');
    expect(normalizeHeader('vat.number')).toBe('vat_number');
  });

  it('finds columns by name or alias in any order, and lists the others as ignored', () => {
    const mapping = mapHeader(definition, ['P.IVA', 'Ragione Sociale', 'Fax', 'Lingua']);
    expect([...mapping.indexes]).toEqual([
      ['code', 0],
      ['name', 1],
      ['lang', 3],
    ]);
    expect(mapping.ignored).toEqual(['Fax']);
  });

  it('takes a positional file by position, header or not', () => {
    expect([...mapHeader(testDefinition('positional'), ['x']).indexes.values()]).toEqual([0, 1, 2]);
  });

  it('refuses a column given twice, naming both header cells', () => {
    const refuse = () => mapHeader(definition, ['vat', 'name', 'company']);
    expect(refuse).toThrow(ImportException);
    expect(refuse).toThrow('column name appears twice in the header ("name" and "company")');
  });

  it('refuses a file without a required column, naming the missing and the expected columns', () => {
    try {
      mapHeader(definition, ['company', 'lang']);
      throw new Error('not refused');
    } catch (error) {
      expect(error).toBeInstanceOf(ImportException);
      expect((error as ImportException).code).toBe(ImportExceptionCode.MISSING_COLUMNS);
      expect((error as ImportException).data).toEqual({
        missing_columns: ['code'],
        expected_columns: ['name', 'code', 'lang'],
      });
    }
  });
});

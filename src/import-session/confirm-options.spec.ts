import { confirmOptions } from './confirm-options';
import { ImportException } from './import.exception';

const ID = '9625ABC0-7BCE-405E-8E3B-99B7AD44F536';

describe('confirmOptions', () => {
  it('defaults to no override and no resolutions', () => {
    expect(confirmOptions({ import_id: 'x' })).toEqual({ override: false, resolutions: {} });
  });

  it('keeps resolutions keyed by row number, ids lower-cased', () => {
    const options = confirmOptions({
      import_id: 'x',
      override: true,
      resolutions: { '4': { organization_id: ID } },
    });
    expect(options).toEqual({ override: true, resolutions: { '4': ID.toLowerCase() } });
  });

  it.each([
    [{ '0': { organization_id: ID } }, 'resolutions.0', 'must be keyed by a row number'],
    [{ x: { organization_id: ID } }, 'resolutions.x', 'must be keyed by a row number'],
    [{ '4': { organization_id: 'nope' } }, 'resolutions.4.organization_id', 'must be a UUID'],
    [{ '4': null }, 'resolutions.4.organization_id', 'must be a UUID'],
  ])('refuses %j, naming the field', (resolutions, field, message) => {
    try {
      confirmOptions({ import_id: 'x', resolutions } as never);
      throw new Error('not refused');
    } catch (error) {
      expect(error).toBeInstanceOf(ImportException);
      expect((error as ImportException).data).toEqual({ errors: [{ field, message }] });
    }
  });
});

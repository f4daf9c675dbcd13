import { dateText, isDateFormat, numberText } from './cell-text';

describe('numberText: a number cell as Excel shows it in a General cell', () => {
  it.each([
    ['1234567890123456', '1234567890123456'],
    ['-42', '-42'],
    ['-0', '0'],
    ['1E+15', '1000000000000000'],
    ['1e21', '1000000000000000000000'],
    ['0.1', '0.1'],
    ['0.30000000000000004', '0.3'],
    ['1e-7', '0.0000001'],
    ['1.00000000000001E-3', '0.00100000000000001'],
    ['-3.25', '-3.25'],
    ['123.450', '123.45'],
    ['1.5e25', '15000000000000000000000000'],
    ['2.675', '2.675'],
  ])('%s → %s', (raw, shown) => {
    expect(numberText(raw)).toBe(shown);
  });
});

describe('dateText: a date serial in ISO 8601', () => {
  it.each([
    ['46359', false, '2026-12-03'],
    ['46359.4375', false, '2026-12-03T10:30:00'],
    ['44897', true, '2026-12-03'],
    ['44897.5', true, '2026-12-03T12:00:00'],
    ['1', false, '1900-01-01'],
    ['59', false, '1900-02-28'],
    ['60', false, '1900-02-29'],
    ['61', false, '1900-03-01'],
    ['0', true, '1904-01-01'],
    ['0.75', false, '18:00:00'],
    ['45000.999999999', false, '2023-03-16'],
  ] as const)('%s (1904: %s) → %s', (raw, date1904, shown) => {
    expect(dateText(raw, date1904)).toBe(shown);
  });
});

describe('isDateFormat', () => {
  it.each([
    [14, undefined, true],
    [22, undefined, true],
    [0, undefined, false],
    [2, undefined, false],
    [164, 'yyyy-mm-dd', true],
    [164, '[$-410]d mmmm yyyy', true],
    [164, 'hh:mm:ss', true],
    [164, '"days "0', false],
    [164, '[Red]0.00;[Blue]-0.00', false],
    [164, '0.00E+00', false],
    [164, '#,##0\\ "pcs"', false],
    [164, 'General', false],
  ] as const)('%i %s → %s', (id, code, date) => {
    expect(isDateFormat(id, code)).toBe(date);
  });
});

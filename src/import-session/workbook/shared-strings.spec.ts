import { SharedStrings } from './shared-strings';

describe('SharedStrings', () => {
  it('answers every string by its index, across pages sealed by count and by characters', () => {
    const table = new SharedStrings();
    const expected: string[] = [];
    for (let i = 0; i < 70_000; i++) {
      const text = i % 7 === 0 ? '' : `value ${i} è`;
      expected.push(text);
      table.push(text);
    }
    // A page sealed by its characters: two strings of 10 Mi characters.
    const long = 'x'.repeat(10 * 1024 * 1024);
    for (const text of [long, `${long}y`, 'after']) {
      expected.push(text);
      table.push(text);
    }
    table.end();
    expect(table.size).toBe(expected.length);
    for (const index of [0, 1, 7, 4095, 4096, 4097, 65_535, 65_536, 69_999, 70_000, 70_001, 70_002]) {
      expect(table.get(index)).toBe(expected[index]);
    }
    expect(expected.every((text, index) => table.get(index) === text)).toBe(true);
    expect(table.get(expected.length)).toBeUndefined();
    expect(table.get(-1)).toBeUndefined();
    expect(table.get(1.5)).toBeUndefined();
  });
});

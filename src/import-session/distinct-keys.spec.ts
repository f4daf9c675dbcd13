import { DistinctKeys } from './distinct-keys';

describe('DistinctKeys', () => {
  const of = (keys: string[]) => {
    const set = new DistinctKeys();
    for (const key of keys) set.add(key);
    return set.distinct;
  };

  it('no keys, and keys that differ, are distinct', () => {
    expect(of([])).toBe(true);
    expect(of(['IT1', 'IT10', 'it1', 'IT1 ', ''])).toBe(true);
  });

  it('a key seen twice is a repeat, wherever the second one is', () => {
    expect(of(['IT1', 'IT2', 'IT1'])).toBe(false);
    const many = Array.from({ length: 300_000 }, (_, i) => `IT${i}`);
    expect(of(many)).toBe(true);
    expect(of([...many, 'IT299999'])).toBe(false);
    expect(of(['IT0', ...many.slice(1)])).toBe(true);
    expect(of([...many.slice(0, 150_000), 'IT7', ...many.slice(150_000)])).toBe(false);
  });

  it('unicode keys and keys that differ in one character only', () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `Città ${String.fromCharCode(0x4e00 + i)}🚀`);
    expect(of(keys)).toBe(true);
    expect(of([...keys, keys[12_345]])).toBe(false);
  });
});

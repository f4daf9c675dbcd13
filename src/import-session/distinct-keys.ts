/** The table grows up to this many slots (8 bytes each: 32 MiB, keys of files up to 2M rows). */
const MAX_SLOTS = 1 << 22;
const FIRST_SLOTS = 1 << 10;

/**
 * Tells, while a file is read, whether its keys are all distinct, without keeping them: each key's 64-bit
 * hash goes into an open-addressing table of two `Uint32Array` lanes, at most half full (8 to 16 bytes a
 * key). Two keys with the same hash count as a repeat, so "distinct" is certain and "repeated" is what the
 * caller checks exactly, in SQL (two different keys of a million share a 64-bit hash about once in 2^25
 * files). Past {@link MAX_SLOTS}, it stops and answers "not known".
 */
export class DistinctKeys {
  private high = new Uint32Array(FIRST_SLOTS);
  private low = new Uint32Array(FIRST_SLOTS);
  private count = 0;
  private state: 'distinct' | 'repeated' | 'unknown' = 'distinct';

  /** True when every key added so far is known to be distinct from the others. */
  get distinct(): boolean {
    return this.state === 'distinct';
  }

  add(key: string): void {
    if (this.state !== 'distinct') return;
    // cyrb53's two lanes, kept whole: 64 bits.
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    // (0, 0) marks an empty slot.
    const hi = h1 >>> 0;
    const lo = hi === 0 && h2 >>> 0 === 0 ? 1 : h2 >>> 0;
    if (!this.insert(hi, lo)) {
      this.state = 'repeated';
      return;
    }
    if (++this.count * 2 > this.high.length) this.grow();
  }

  /** False when the hash is there already. */
  private insert(hi: number, lo: number): boolean {
    const mask = this.high.length - 1;
    for (let at = (lo ^ hi) & mask; ; at = (at + 1) & mask) {
      const h = this.high[at];
      const l = this.low[at];
      if (h === 0 && l === 0) {
        this.high[at] = hi;
        this.low[at] = lo;
        return true;
      }
      if (h === hi && l === lo) return false;
    }
  }

  private grow(): void {
    const size = this.high.length * 2;
    if (size > MAX_SLOTS) {
      this.state = 'unknown';
      this.high = this.low = new Uint32Array(0);
      return;
    }
    const { high, low } = this;
    this.high = new Uint32Array(size);
    this.low = new Uint32Array(size);
    for (let i = 0; i < high.length; i++) {
      if (high[i] !== 0 || low[i] !== 0) this.insert(high[i], low[i]);
    }
  }
}

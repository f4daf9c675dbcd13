/**
 * A page joins at most this many strings… Small pages let the strings waiting for their page die young,
 * instead of piling up in the old generation until a full collection: reading 1M rows with 2.25M shared
 * strings peaked at 134 MB with pages of 4,096 strings, 256 MB with pages of 65,536.
 */
const PAGE_STRINGS = 1 << 12;
/** …and is sealed once it holds this many characters (far below V8's longest string). */
const PAGE_CHARS = 1 << 24;

/**
 * A workbook's shared strings table, held compactly: the strings are joined a page at a time (4,096 strings
 * or 16 Mi characters) into one flat string, with the offset of each. A million distinct strings then cost
 * their characters and four bytes each, instead of a JavaScript string object each (several times as much for
 * short strings).
 */
export class SharedStrings {
  private readonly pages: string[] = [];
  /** For each page, where each of its strings starts; the next entry is where it ends. */
  private readonly starts: Uint32Array[] = [];
  /** The index of the first string of each page. */
  private readonly firsts: number[] = [];
  private pending: string[] = [];
  private pendingChars = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Appends the next string of the table. */
  push(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
    this.count++;
    if (this.pending.length === PAGE_STRINGS || this.pendingChars >= PAGE_CHARS) this.seal();
  }

  /** Ends the table: the last page is joined. */
  end(): this {
    if (this.pending.length > 0) this.seal();
    return this;
  }

  /** The string at `index` (0-based), or undefined past the end of the table. */
  get(index: number): string | undefined {
    if (!(index >= 0 && index < this.count) || !Number.isInteger(index)) return undefined;
    const { firsts } = this;
    // The last page whose first string is at or before the index.
    let low = 0;
    let high = firsts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (firsts[middle] <= index) low = middle;
      else high = middle - 1;
    }
    const starts = this.starts[low];
    const at = index - firsts[low];
    return this.pages[low].slice(starts[at], starts[at + 1]);
  }

  private seal(): void {
    const strings = this.pending;
    const starts = new Uint32Array(strings.length + 1);
    let length = 0;
    for (let i = 0; i < strings.length; i++) {
      starts[i] = length;
      length += strings[i].length;
    }
    starts[strings.length] = length;
    this.firsts.push(this.count - strings.length);
    // join() builds a flat string: the pieces are not kept alive by it.
    this.pages.push(strings.join(''));
    this.starts.push(starts);
    this.pending = [];
    this.pendingChars = 0;
  }
}

/*
 * Streaming RFC 4180 record parser.
 *
 * Why not fast-csv: fast-csv (@fast-csv/parse 5.0.8, measured here) cannot meet three rules of the contract:
 *  - throughput: it scans character by character, allocating a Token object and a one-character string per
 *    character; it parses ~49k rows/s on a 170-byte, 11-column file, far from the 150k rows/s target;
 *  - bounded cells: a field is collected as an array of one-character strings, so a huge cell costs tens of
 *    bytes per character and cannot be capped;
 *  - long records: when a record does not end inside the current chunk, fast-csv throws the partial parse
 *    away and starts again from the record's beginning with the next chunk, which is quadratic. A single
 *    5 MB line took 16.6 s (a 50 MB line would take about half an hour), and an unclosed quote near the top
 *    of a large file has the same effect since the rest of the file is one field.
 * This parser is a small state machine over decoded string chunks: fields are cut with slice(), quoted
 * content is found with indexOf(), a field spanning chunks is kept in an accumulator capped at
 * maxFieldChars + 1 characters, and no state is ever re-scanned, so time is linear and memory is bounded.
 */
import { CsvFormatError } from './csv-format-error';
import type { CsvRecord } from './csv-types';

/** The first `length` code units of a string, never ending inside a surrogate pair. */
function cutAt(value: string, length: number): string {
  const code = value.charCodeAt(length - 1);
  return value.slice(0, code >= 0xd800 && code <= 0xdbff ? length - 1 : length);
}

/** Records with more fields than this are rejected (a safety bound: Excel's own column limit is 16,384). */
export const MAX_FIELDS_PER_RECORD = 16_384;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

// Parser states (plain numbers rather than a const enum: the project compiles with isolatedModules).
const FIELD_START = 0; // at the start of a field, skipping leading blanks
const UNQUOTED = 1; // inside an unquoted field that began in an earlier chunk
const QUOTED = 2; // inside a quoted field
const QUOTE_IN_QUOTED = 3; // just read a quote inside a quoted field: an escaped quote or the closing one
const AFTER_QUOTE = 4; // after the closing quote: only blanks, then a delimiter or a line end, may follow

const NON_WHITESPACE = /\S/;

/**
 * Whether a character is a blank that may stand before an opening quote: every whitespace character that
 * trimming a cell removes (a space, a no-break space, …) except line ends, and except the delimiter (a tab
 * when tab is the delimiter).
 */
function isBlank(c: number, d: number): boolean {
  if (c === SPACE) return true;
  if (c === d || c === LF || c === CR) return false;
  if (c < 0x80) return c === TAB || c === 0x0b || c === 0x0c;
  return !NON_WHITESPACE.test(String.fromCharCode(c));
}

/**
 * Returns a copy of a string that does not share storage with the decoded chunk it was cut from. V8 makes
 * slices of 13+ characters point into their parent string, so a caller keeping a few cells (a Set of ids to
 * find duplicates, say) would otherwise keep every 512 KB chunk those cells came from alive. Concatenating
 * makes a rope that slice() flattens into a fresh string of length + 1 characters.
 */
function detach(value: string): string {
  return value.length < 13 ? value : (value + ' ').slice(0, -1);
}

/** Trims a cell, skipping the call in the usual case of a cell that starts and ends with a visible ASCII character. */
function trimCell(value: string): string {
  const n = value.length;
  if (n === 0) {
    return value;
  }
  const a = value.charCodeAt(0);
  const b = value.charCodeAt(n - 1);
  return a > SPACE && a < 0x7f && b > SPACE && b < 0x7f ? value : value.trim();
}

export interface CsvParserOptions {
  /** One character. */
  delimiter: string;
  maxFieldChars: number;
}

/**
 * Push-based parser: feed decoded text with push(), then end(). Complete records accumulate and are taken
 * with takeRecords(). Blank lines (empty or whitespace only) are skipped and take no row number. Cells are
 * trimmed. Errors are CsvFormatError (status 400) naming the row; records completed before an error stay
 * available through takeRecords().
 */
export class CsvRecordParser {
  private readonly delimiter: number;
  private readonly delimiterChar: string;
  /** A tab delimiter is also whitespace: a line of tabs only is then a blank line. */
  private readonly delimiterIsBlank: boolean;
  private readonly maxFieldChars: number;
  /** Accumulated (or yielded) cells never exceed this many characters. */
  private readonly cap: number;

  private state = FIELD_START;
  /** The previous chunk ended with CR: a LF at the start of the next one belongs to it. */
  private skipLf = false;
  private records: CsvRecord[] = [];
  private recordCount = 0;

  // The record being read.
  private cells: string[] = [];
  private overlong: number[] | undefined;
  private recordHasContent = false;

  // The field being read, when it is quoted or spans chunks: its content, leading blanks removed, capped.
  private acc = '';
  private accFull = false;
  /** Some non-whitespace character was dropped past the cap. */
  private accOverflow = false;

  constructor(options: CsvParserOptions) {
    if (options.delimiter.length !== 1) {
      throw new RangeError('delimiter must be one character');
    }
    this.delimiter = options.delimiter.charCodeAt(0);
    this.delimiterChar = options.delimiter;
    this.delimiterIsBlank = this.delimiter === TAB || this.delimiter === SPACE;
    this.maxFieldChars = options.maxFieldChars;
    this.cap = options.maxFieldChars + 1;
  }

  /** Records completed so far (header included), handed over once. */
  takeRecords(): CsvRecord[] {
    const records = this.records;
    if (records.length > 0) {
      this.records = [];
    }
    return records;
  }

  /** Whether a record is under way: text pushed so far ends inside it. */
  get inRecord(): boolean {
    return this.state !== FIELD_START || this.cells.length > 0;
  }

  get pendingRecords(): number {
    return this.records.length;
  }

  /** Number of the record being read (or of the next one). */
  get currentRowNumber(): number {
    return this.recordCount + 1;
  }

  push(text: string): void {
    const len = text.length;
    if (len === 0) {
      return;
    }
    const d = this.delimiter;
    let i = 0;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.charCodeAt(0) === LF) {
        i = 1;
      }
    }
    // Positions of the next LF and CR at or after i (-1: none in this chunk), looked up again once passed.
    let nextLf = -2;
    let nextCr = -2;
    while (i < len) {
      if (this.state === FIELD_START && this.cells.length === 0) {
        // Fast path: a record that ends on this line of this chunk is parsed from a copy of the line.
        if (nextLf !== -1 && nextLf < i) {
          nextLf = text.indexOf('\n', i);
        }
        if (nextCr !== -1 && nextCr < i) {
          nextCr = text.indexOf('\r', i);
        }
        const end = nextCr === -1 || (nextLf !== -1 && nextLf < nextCr) ? nextLf : nextCr;
        if (end !== -1 && this.parseLine(text.slice(i, end))) {
          i = this.afterLineEnd(text, end, text.charCodeAt(end));
          continue;
        }
      }
      // Slow path, one step at a time: a record that goes on past this line or this chunk.
      switch (this.state) {
        case FIELD_START: {
          let c = text.charCodeAt(i);
          while (isBlank(c, d)) {
            if (++i === len) {
              return;
            }
            c = text.charCodeAt(i);
          }
          if (c === QUOTE) {
            this.state = QUOTED;
            this.recordHasContent = true;
            i++;
          } else if (c === d) {
            this.endField('');
            i++;
          } else if (c === LF || c === CR) {
            if (this.cells.length > 0) {
              this.endField('');
            }
            this.endRecord();
            i = this.afterLineEnd(text, i, c);
          } else {
            // Unquoted field: its end is the next delimiter or line end.
            let j = i + 1;
            while (j < len) {
              c = text.charCodeAt(j);
              if (c === d || c === LF || c === CR) {
                break;
              }
              j++;
            }
            if (j === len) {
              this.append(text.slice(i));
              this.state = UNQUOTED;
              return;
            }
            this.endField(text.slice(i, j).trim());
            if (c === d) {
              i = j + 1;
            } else {
              this.endRecord();
              i = this.afterLineEnd(text, j, c);
            }
          }
          break;
        }
        case UNQUOTED: {
          let j = i;
          let c = 0;
          while (j < len) {
            c = text.charCodeAt(j);
            if (c === d || c === LF || c === CR) {
              break;
            }
            j++;
          }
          if (j > i) {
            this.append(text.slice(i, j));
          }
          if (j === len) {
            return;
          }
          this.endAccumulatedField();
          this.state = FIELD_START;
          if (c === d) {
            i = j + 1;
          } else {
            this.endRecord();
            i = this.afterLineEnd(text, j, c);
          }
          break;
        }
        case QUOTED: {
          const q = text.indexOf('"', i);
          if (q === -1) {
            this.append(text.slice(i));
            return;
          }
          if (q > i) {
            this.append(text.slice(i, q));
          }
          this.state = QUOTE_IN_QUOTED;
          i = q + 1;
          break;
        }
        case QUOTE_IN_QUOTED: {
          if (text.charCodeAt(i) === QUOTE) {
            this.append('"');
            this.state = QUOTED;
            i++;
          } else {
            this.state = AFTER_QUOTE;
          }
          break;
        }
        default: {
          // AFTER_QUOTE
          const c = text.charCodeAt(i);
          if (c === d) {
            this.endAccumulatedField();
            this.state = FIELD_START;
            i++;
          } else if (c === LF || c === CR) {
            this.endAccumulatedField();
            this.state = FIELD_START;
            this.endRecord();
            i = this.afterLineEnd(text, i, c);
          } else if (c === SPACE || !NON_WHITESPACE.test(text[i])) {
            i++;
          } else {
            throw new CsvFormatError(
              400,
              `row ${this.currentRowNumber}: unexpected character ${JSON.stringify(text[i])} after the closing quote ` +
                `of column ${this.cells.length + 1} (a quote inside a quoted field must be doubled: "")`,
              this.currentRowNumber,
            );
          }
        }
      }
    }
  }

  /** Signals the end of the text: completes the last record or reports an unclosed quote. */
  end(): void {
    switch (this.state) {
      case FIELD_START:
        if (this.cells.length > 0) {
          this.endField(''); // the line ended with a delimiter
          this.endRecord();
        }
        break;
      case QUOTED:
        throw new CsvFormatError(
          400,
          `row ${this.currentRowNumber}: a quoted field is not closed (column ${this.cells.length + 1} opens a quote that never ends)`,
          this.currentRowNumber,
        );
      default:
        this.endAccumulatedField();
        this.state = FIELD_START;
        this.endRecord();
    }
    this.skipLf = false;
  }

  /**
   * Parses a whole line as one record, or returns false (having changed nothing) when the record goes on
   * past the line (a quoted field containing a line break) or the line is malformed: the slow path then
   * takes over and reports the precise error. Cells are cut from a private copy of the line, so that they do
   * not keep the chunk alive.
   */
  private parseLine(line: string): boolean {
    const n = line.length;
    const first = n === 0 ? 0 : line.charCodeAt(0);
    if (!(first > SPACE && first < 0x7f) && !NON_WHITESPACE.test(line)) {
      return true; // a blank line: skipped, no row number
    }
    const rec = n < 13 ? line : (line + ' ').slice(0, -1);
    const d = this.delimiter;
    const cells: string[] = [];
    let overlong: number[] | undefined;
    let p = 0;
    for (;;) {
      let c = p < n ? rec.charCodeAt(p) : -1;
      while (c !== -1 && isBlank(c, d)) {
        c = ++p < n ? rec.charCodeAt(p) : -1;
      }
      let value: string;
      let next: number; // position of the delimiter ending the field, or n
      if (c === QUOTE) {
        value = '';
        let start = p + 1;
        for (;;) {
          const q = rec.indexOf('"', start);
          if (q === -1) {
            return false; // the quoted field goes on past the line end
          }
          if (q + 1 < n && rec.charCodeAt(q + 1) === QUOTE) {
            value += rec.slice(start, q + 1);
            start = q + 2;
          } else {
            value += rec.slice(start, q);
            p = q + 1;
            break;
          }
        }
        while (p < n && (c = rec.charCodeAt(p)) !== d) {
          if (c !== SPACE && NON_WHITESPACE.test(rec[p])) {
            return false; // text after the closing quote
          }
          p++;
        }
        next = p;
        value = value.trim();
      } else {
        next = p < n ? rec.indexOf(this.delimiterChar, p) : -1;
        if (next === -1) {
          next = n;
        }
        value = trimCell(rec.slice(p, next));
      }
      if (cells.length === MAX_FIELDS_PER_RECORD) {
        return false;
      }
      if (value.length > this.maxFieldChars) {
        (overlong ??= []).push(cells.length);
        value = cutAt(value, this.cap);
      }
      cells.push(value);
      if (next >= n) {
        break;
      }
      p = next + 1;
    }
    const record: CsvRecord = { rowNumber: ++this.recordCount, cells };
    if (overlong !== undefined) {
      record.overlong = overlong;
    }
    this.records.push(record);
    return true;
  }

  private afterLineEnd(text: string, i: number, c: number): number {
    if (c === CR) {
      if (i + 1 < text.length) {
        return text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
      }
      this.skipLf = true;
    }
    return i + 1;
  }

  private append(piece: string): void {
    if (this.accFull) {
      if (!this.accOverflow && NON_WHITESPACE.test(piece)) {
        this.accOverflow = true;
      }
      return;
    }
    let acc = this.acc.length === 0 ? piece.trimStart() : this.acc + piece;
    if (acc.length > this.cap) {
      if (NON_WHITESPACE.test(acc.slice(this.cap))) {
        this.accOverflow = true;
      }
      acc = cutAt(acc, this.cap);
      this.accFull = true;
    }
    this.acc = acc;
  }

  /**
   * Ends the field held in the accumulator. A field whose content went past the cap is overlong whatever
   * the length of the part kept: the cut may have kept one unit less, so as not to split a surrogate pair.
   */
  private endAccumulatedField(): void {
    const overflowed = this.accOverflow;
    this.endField(this.takeAccumulated(), overflowed);
  }

  private takeAccumulated(): string {
    // With no content dropped past the cap, trimming the kept part is trimming the whole field; otherwise
    // the field is longer than the cap, whose content (leading blanks removed) is the truncated cell.
    const value = this.accOverflow ? this.acc : this.acc.trimEnd();
    this.acc = '';
    this.accFull = false;
    this.accOverflow = false;
    return value;
  }

  private endField(value: string, overflowed = false): void {
    const cells = this.cells;
    if (cells.length === MAX_FIELDS_PER_RECORD) {
      throw new CsvFormatError(
        400,
        `row ${this.currentRowNumber}: too many fields (more than ${MAX_FIELDS_PER_RECORD.toLocaleString('en-US')} in one record)`,
        this.currentRowNumber,
      );
    }
    if (value.length > 0) {
      this.recordHasContent = true;
      if (overflowed || value.length > this.maxFieldChars) {
        (this.overlong ??= []).push(cells.length);
        if (value.length > this.cap) value = cutAt(value, this.cap);
      }
      value = detach(value);
    }
    cells.push(value);
  }

  private endRecord(): void {
    const cells = this.cells;
    // A blank line: nothing but whitespace (which may include tab delimiters when tab is the delimiter).
    const blank = !this.recordHasContent && (cells.length <= 1 || this.delimiterIsBlank);
    if (!blank) {
      const record: CsvRecord = { rowNumber: ++this.recordCount, cells };
      if (this.overlong !== undefined) {
        record.overlong = this.overlong;
      }
      this.records.push(record);
    }
    this.cells = [];
    this.overlong = undefined;
    this.recordHasContent = false;
  }
}

const CANDIDATES = [',', ';', '\t', '|'] as const;
/** Header characters examined at most: past this, the delimiter is chosen from what was seen. */
const MAX_HEADER_SCAN = 1 << 20;

/**
 * Finds the delimiter of the header record (the first non-blank line): the candidate among , ; tab | seen
 * most often outside quotes (ties in that order of preference; none at all: comma). Feed text chunks until
 * `done`. A quote opens a quoted field when it starts a field, i.e. follows the line start or a candidate,
 * blanks aside; inside, "" is an escaped quote.
 */
export class DelimiterDetector {
  done = false;
  private readonly counts = [0, 0, 0, 0];
  private inQuotes = false;
  private quoteSeen = false;
  private atFieldStart = true;
  private lineHasContent = false;
  private scanned = 0;

  feed(text: string): void {
    const len = text.length;
    let i = 0;
    for (; i < len && !this.done; i++) {
      const c = text.charCodeAt(i);
      if (this.inQuotes) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (c === QUOTE) {
            continue; // escaped quote
          }
          this.inQuotes = false; // that quote closed the field: read c below
        } else {
          if (c === QUOTE) {
            this.quoteSeen = true;
          }
          continue;
        }
      }
      switch (c) {
        case QUOTE:
          this.lineHasContent = true;
          if (this.atFieldStart) {
            this.inQuotes = true;
          }
          this.atFieldStart = false;
          break;
        case 0x2c: // ,
          this.count(0);
          break;
        case 0x3b: // ;
          this.count(1);
          break;
        case TAB:
          this.counts[2]++;
          this.atFieldStart = true;
          break;
        case 0x7c: // |
          this.count(3);
          break;
        case LF:
        case CR:
          if (this.lineHasContent) {
            this.done = true;
          } else {
            this.counts.fill(0); // a blank line (perhaps of tabs): the header is further down
            this.atFieldStart = true;
          }
          break;
        case SPACE:
          break;
        default:
          // Whitespace does not make the line the header (the parser skips a line of it), but a quote after
          // it does not open a quoted field either.
          if (c < 0x80 ? c !== 0x0b && c !== 0x0c : NON_WHITESPACE.test(text[i])) {
            this.lineHasContent = true;
          }
          this.atFieldStart = false;
      }
    }
    this.scanned += i;
    if (this.scanned >= MAX_HEADER_SCAN) {
      this.done = true;
    }
  }

  get delimiter(): string {
    let best = 0;
    for (let k = 1; k < CANDIDATES.length; k++) {
      if (this.counts[k] > this.counts[best]) {
        best = k;
      }
    }
    return CANDIDATES[best];
  }

  private count(k: number): void {
    this.counts[k]++;
    this.lineHasContent = true;
    this.atFieldStart = true;
  }
}

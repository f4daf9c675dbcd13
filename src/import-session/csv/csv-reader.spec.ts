import fs from 'fs';
import { once } from 'events';
import os from 'os';
import path from 'path';
import type { ReadStream } from 'fs';
import { CsvFormatError, openCsv, parseDelimiterOption } from './index';
import type { CsvDocument, CsvReadOptions, CsvRecord, CsvSource } from './index';
import { READ_CHUNK_BYTES } from './csv-text-reader';

const OPTIONS: CsvReadOptions = { maxRows: 1000, maxFieldChars: 1000 };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-reader-spec-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
function writeTemp(content: Buffer | string): string {
  const file = path.join(dir, `f${++fileCount}.csv`);
  fs.writeFileSync(file, content);
  return file;
}

/** The document's records one at a time, as the batches hand them out. */
async function* recordsOf(doc: CsvDocument): AsyncGenerator<CsvRecord> {
  for await (const batch of doc.batches) yield* batch;
}

async function collect(records: AsyncIterable<CsvRecord>): Promise<CsvRecord[]> {
  const all: CsvRecord[] = [];
  for await (const record of records) {
    all.push(record);
  }
  return all;
}

interface ReadResult {
  doc: CsvDocument;
  rows: CsvRecord[];
}

async function read(source: CsvSource, options: Partial<CsvReadOptions> = {}): Promise<ReadResult> {
  const doc = await openCsv(source, { ...OPTIONS, ...options });
  return { doc, rows: await collect(recordsOf(doc)) };
}

/** Reads the content both as a Buffer source and as a file; both must give the same result. */
async function readBoth(
  content: Buffer | string,
  options: Partial<CsvReadOptions> = {},
): Promise<ReadResult> {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const fromBuffer = await read({ buffer: bytes }, options);
  const fromFile = await read({ path: writeTemp(bytes) }, options);
  expect(fromFile.doc.encoding).toBe(fromBuffer.doc.encoding);
  expect(fromFile.doc.delimiter).toBe(fromBuffer.doc.delimiter);
  expect(fromFile.doc.header).toEqual(fromBuffer.doc.header);
  expectSame(fromFile.rows, fromBuffer.rows);
  return fromFile;
}

/** The error openCsv or the iteration fails with, from both a Buffer and a file source. */
async function failureOf(
  content: Buffer | string,
  options: Partial<CsvReadOptions> = {},
): Promise<CsvFormatError> {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
  const errors: unknown[] = [];
  for (const source of [{ buffer: bytes }, { path: writeTemp(bytes) }]) {
    try {
      await read(source, options);
      errors.push(new Error('expected a CsvFormatError, but the file was read'));
    } catch (error) {
      errors.push(error);
    }
  }
  const [first, second] = errors;
  expect(first).toBeInstanceOf(CsvFormatError);
  expect(second).toEqual(first);
  return first as CsvFormatError;
}

function utf16le(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}

function utf16be(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
}

const cellsOf = (rows: CsvRecord[]) => rows.map((r) => r.cells);

/** Deep equality for large values: a quick comparison first, jest's (slow but explanatory) one on a mismatch. */
function expectSame(actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    expect(actual).toEqual(expected);
  }
}

describe('openCsv: encodings', () => {
  const text = 'name,city\r\nRenée,Zürich\r\nJoão,Kraków €\r\n';
  const expectedRows = [
    { rowNumber: 2, cells: ['Renée', 'Zürich'] },
    { rowNumber: 3, cells: ['João', 'Kraków €'] },
  ];

  it('reads UTF-8 without a BOM', async () => {
    const { doc, rows } = await readBoth(text);
    expect(doc.encoding).toBe('utf-8');
    expect(doc.delimiter).toBe(',');
    expect(doc.header).toEqual({ rowNumber: 1, cells: ['name', 'city'] });
    expect(rows).toEqual(expectedRows);
    expect(rows[0]).not.toHaveProperty('overlong');
  });

  it('reads UTF-8 with a BOM, which is not part of the first header cell', async () => {
    const { doc, rows } = await readBoth(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(doc.encoding).toBe('utf-8');
    expect(doc.header.cells).toEqual(['name', 'city']);
    expect(rows).toEqual(expectedRows);
  });

  it('reads UTF-16 LE with a BOM', async () => {
    const { doc, rows } = await readBoth(utf16le(text));
    expect(doc.encoding).toBe('utf-16le');
    expect(doc.header.cells).toEqual(['name', 'city']);
    expect(rows).toEqual(expectedRows);
  });

  it('reads UTF-16 BE with a BOM', async () => {
    const { doc, rows } = await readBoth(utf16be(text));
    expect(doc.encoding).toBe('utf-16be');
    expect(doc.header.cells).toEqual(['name', 'city']);
    expect(rows).toEqual(expectedRows);
  });

  it.each([
    ['LE', utf16le],
    ['BE', utf16be],
  ])('rejects a truncated UTF-16 %s file (odd number of bytes) cleanly', async (_name, encode) => {
    const bytes = encode(text);
    const error = await failureOf(bytes.subarray(0, bytes.length - 1));
    expect(error.status).toBe(400);
    expect(error.message).toBe('file is not valid UTF-16 text (it has an odd number of bytes)');
  });

  it('reads bytes that are not valid UTF-8 as Windows-1252', async () => {
    const bytes = Buffer.concat([
      Buffer.from('name;price\n'),
      Buffer.from([0x52, 0x65, 0x6e, 0xe9, 0x65]), // Renée in Latin-1
      Buffer.from(';'),
      Buffer.from([0x31, 0x30, 0x20, 0x80]), // 10 €
      Buffer.from('\n'),
      Buffer.from([0x93, 0x71, 0x94, 0x3b, 0x9c]), // “q”;œ
      Buffer.from('\n'),
    ]);
    const { doc, rows } = await readBoth(bytes);
    expect(doc.encoding).toBe('windows-1252');
    expect(doc.delimiter).toBe(';');
    expect(cellsOf(rows)).toEqual([
      ['Renée', '10 €'],
      ['“q”', 'œ'],
    ]);
  });

  it('checks the whole file for UTF-8 validity, not only its beginning', async () => {
    const ascii = 'id,name\n' + 'x,abc\n'.repeat(250_000); // 1.5 MB, several chunks
    const bytes = Buffer.concat([Buffer.from(ascii), Buffer.from([0x79, 0x2c, 0xe9, 0x0a])]);
    const { doc, rows } = await readBoth(bytes, { maxRows: 1_000_000 });
    expect(doc.encoding).toBe('windows-1252');
    expect(rows[0]).toEqual({ rowNumber: 2, cells: ['x', 'abc'] });
    expect(rows).toHaveLength(250_001);
    expect(rows[250_000]).toEqual({ rowNumber: 250_002, cells: ['y', 'é'] });
  });

  it('decodes multi-byte characters cut by chunk boundaries (UTF-8 and UTF-16)', async () => {
    // Lines of 1 to 4-byte characters, long enough to cross several read chunks at every possible offset.
    const lines = ['k,v'];
    for (let i = 0, length = 0; length < 3 * READ_CHUNK_BYTES; i++) {
      const line = `${i},${'é€😀'.repeat(1 + (i % 7))}${'a'.repeat(i % 3)}`;
      lines.push(line);
      length += line.length + 1;
    }
    const text = lines.join('\n') + '\n';
    const expected = lines.slice(1).map((line) => line.split(','));
    const asUtf8 = await readBoth(text, { maxRows: 100_000 });
    expect(asUtf8.doc.encoding).toBe('utf-8');
    expectSame(cellsOf(asUtf8.rows), expected);
    const asUtf16 = await readBoth(utf16be(text), { maxRows: 100_000 });
    expectSame(cellsOf(asUtf16.rows), expected);
  });
});

describe('openCsv: delimiters', () => {
  it.each([
    [';', 'a;b;c\n1;2,5;3\n', ['1', '2,5', '3']],
    ['\t', 'a\tb\tc\n1\t2 x\t3\n', ['1', '2 x', '3']],
    ['|', 'a|b|c\n1|2;x|3\n', ['1', '2;x', '3']],
    [',', 'a,b,c\n1,2;x,3\n', ['1', '2;x', '3']],
  ])('detects %j', async (delimiter, text, cells) => {
    const { doc, rows } = await readBoth(text);
    expect(doc.delimiter).toBe(delimiter);
    expect(doc.header.cells).toEqual(['a', 'b', 'c']);
    expect(rows[0].cells).toEqual(cells);
  });

  it('detects the delimiter quote-aware: "a,b";c;d is semicolon-separated', async () => {
    const { doc, rows } = await readBoth('"a,b";c;d\n"1,5";2;3\n');
    expect(doc.delimiter).toBe(';');
    expect(doc.header.cells).toEqual(['a,b', 'c', 'd']);
    expect(rows[0].cells).toEqual(['1,5', '2', '3']);
  });

  it('prefers , then ; then tab then | on a tie, and uses , with no candidate', async () => {
    expect((await readBoth('a;b,c\n1;2,3\n')).doc.delimiter).toBe(',');
    expect((await readBoth('a|b;c\n1\n')).doc.delimiter).toBe(';');
    expect((await readBoth('a|b\tc\n1\n')).doc.delimiter).toBe('\t');
    const single = await readBoth('email\nx@example.com\n');
    expect(single.doc.delimiter).toBe(',');
    expect(single.rows[0].cells).toEqual(['x@example.com']);
  });

  it('detects from the header line, past blank lines, not from the data', async () => {
    const { doc } = await readBoth('\n\r\n  \na;b\n1,2,3,4,5\n');
    expect(doc.delimiter).toBe(';');
  });

  it.each([
    [',', ','],
    [';', ';'],
    ['|', '|'],
    ['\t', '\t'],
    ['tab', '\t'],
    ['TAB', '\t'],
    ['\\t', '\t'],
    ['comma', ','],
    ['semicolon', ';'],
    ['Pipe', '|'],
    [' ; ', ';'],
  ])('accepts the override %j', async (raw, delimiter) => {
    expect(parseDelimiterOption(raw)).toBe(delimiter);
    const { doc } = await readBoth('a,b;c\td|e\n1\n', { delimiter: raw });
    expect(doc.delimiter).toBe(delimiter);
  });

  it('applies an override instead of the detected delimiter', async () => {
    const { doc, rows } = await readBoth('a;b;c,d\n1;2;3,4\n', { delimiter: 'comma' });
    expect(doc.delimiter).toBe(',');
    expect(doc.header.cells).toEqual(['a;b;c', 'd']);
    expect(rows[0].cells).toEqual(['1;2;3', '4']);
  });

  it('detects when the override is empty', async () => {
    expect((await readBoth('a;b\n1;2\n', { delimiter: '' })).doc.delimiter).toBe(';');
  });

  it.each([':', 'x', ',,', 'commas', ' ', '\\', '"'])('rejects the override %j', async (raw) => {
    const error = await failureOf('a,b\n1,2\n', { delimiter: raw });
    expect(error.status).toBe(400);
    expect(error.message).toBe('delimiter must be one of , ; | tab');
  });
});

describe('openCsv: records', () => {
  it.each([
    ['CRLF', '\r\n'],
    ['LF', '\n'],
    ['CR', '\r'],
  ])('reads %s line ends', async (_name, eol) => {
    const { rows } = await readBoth(['a,b', '1,2', '3,4', ''].join(eol));
    expect(rows).toEqual([
      { rowNumber: 2, cells: ['1', '2'] },
      { rowNumber: 3, cells: ['3', '4'] },
    ]);
  });

  it('numbers records, not lines, when a quoted field spans lines', async () => {
    const { rows } = await readBoth(
      'id,address\r\n1,"Main St 1\r\nApt 2\r\n\r\nBack door"\r\n2,"x\ny"\n3,z\n',
    );
    expect(rows).toEqual([
      { rowNumber: 2, cells: ['1', 'Main St 1\r\nApt 2\r\n\r\nBack door'] },
      { rowNumber: 3, cells: ['2', 'x\ny'] },
      { rowNumber: 4, cells: ['3', 'z'] },
    ]);
  });

  it('reads doubled quotes as one quote', async () => {
    const { rows } = await readBoth('a,b\n"say ""hello""",""""\n');
    expect(rows[0].cells).toEqual(['say "hello"', '"']);
  });

  it('skips blank lines without giving them a row number', async () => {
    const { doc, rows } = await readBoth('\n \na,b\n\n1,2\r\n   \r\n\t\n2,3\n\n\n');
    expect(doc.header.rowNumber).toBe(1);
    expect(rows).toEqual([
      { rowNumber: 2, cells: ['1', '2'] },
      { rowNumber: 3, cells: ['2', '3'] },
    ]);
  });

  it('trims cells', async () => {
    const { doc, rows } = await readBoth(' a , b \n  1\t,  " 2 "  \n');
    expect(doc.header.cells).toEqual(['a', 'b']);
    expect(rows[0].cells).toEqual(['1', '2']);
  });

  it('passes ragged rows through as they are', async () => {
    const { rows } = await readBoth('a,b,c\n1,2\n1,2,3,4\n,\n');
    expect(cellsOf(rows)).toEqual([
      ['1', '2'],
      ['1', '2', '3', '4'],
      ['', ''],
    ]);
  });

  it('reads a large file with records crossing chunk boundaries', async () => {
    const count = 30_000;
    const lines = ['id,name,note'];
    for (let i = 0; i < count; i++) {
      lines.push(i % 5 === 0 ? `${i},"Name, ${i}","multi\nline ""${i}"""` : `${i},Name ${i},note ${i}`);
    }
    const { rows } = await readBoth(lines.join('\r\n'), { maxRows: count });
    expectSame(
      rows,
      Array.from({ length: count }, (_, i) => ({
        rowNumber: i + 2,
        cells:
          i % 5 === 0 ? [`${i}`, `Name, ${i}`, `multi\nline "${i}"`] : [`${i}`, `Name ${i}`, `note ${i}`],
      })),
    );
  });
});

describe('openCsv: whole-file errors', () => {
  it.each([
    ['an empty file', ''],
    ['whitespace only', ' \r\n\t\n   \n'],
    ['a UTF-8 BOM only', Buffer.from([0xef, 0xbb, 0xbf])],
    ['a BOM and blank lines', Buffer.from([0xef, 0xbb, 0xbf, 0x0d, 0x0a, 0x20, 0x0a])],
    ['a UTF-16 BOM only', Buffer.from([0xff, 0xfe])],
    ['UTF-16 blank lines', utf16le('\r\n  \r\n')],
  ])('rejects %s: file is empty', async (_name, content) => {
    const error = await failureOf(content);
    expect(error.status).toBe(400);
    expect(error.message).toBe('file is empty');
  });

  it.each([
    ['a header line', 'a,b,c'],
    ['a header and a line end', 'a,b,c\r\n'],
    ['a header and blank lines', 'a,b,c\n\n  \n\t\n'],
  ])('rejects %s only: no data rows', async (_name, content) => {
    const error = await failureOf(content);
    expect(error.status).toBe(400);
    expect(error.message).toBe('file contains only headers, no data rows');
  });

  it('rejects random binary data', async () => {
    // Deterministic pseudo-random bytes (xorshift).
    const bytes = Buffer.alloc(64 * 1024);
    let x = 0x9e3779b9;
    for (let i = 0; i < bytes.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      bytes[i] = x & 0xff;
    }
    const error = await failureOf(bytes);
    expect(error.status).toBe(400);
    expect(error.message).toBe('file is not a text CSV file');
  });

  it('rejects a file with a NUL byte, even far from its start', async () => {
    expect((await failureOf('a,b\n1,\x002\n')).message).toBe('file is not a text CSV file');
    const late = Buffer.concat([Buffer.from('a,b\n' + '1,2\n'.repeat(500_000)), Buffer.from([0x00, 0x0a])]);
    expect((await failureOf(late)).message).toBe('file is not a text CSV file');
  });

  it('rejects UTF-16 without a BOM (NUL bytes)', async () => {
    const error = await failureOf(Buffer.from('a,b\r\n1,2\r\n', 'utf16le'));
    expect(error.message).toBe('file is not a text CSV file');
  });

  it('rejects a file with a NUL character after a BOM', async () => {
    expect((await failureOf(utf16le('a,b\n1,\u00002\n'))).message).toBe('file is not a text CSV file');
    const withUtf8Bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\n1,\u00002\n')]);
    expect((await failureOf(withUtf8Bom)).message).toBe('file is not a text CSV file');
  });

  it('rejects a file of mostly control characters', async () => {
    const controls = Buffer.from(
      Array.from({ length: 4000 }, (_, i) => (i % 3 === 0 ? 0x41 : [0x01, 0x02, 0x1b, 0x7f, 0x0b][i % 5])),
    );
    expect((await failureOf(controls)).message).toBe('file is not a text CSV file');
  });

  it('names the row of an unclosed quote at the end of the file, after yielding the rows before it', async () => {
    const text = 'a,b\n1,x\n2,x\n\n3,x\n4,x\n5,x\n6,"never closed\n7,x\n8,x\n';
    for (const source of [{ buffer: Buffer.from(text) }, { path: writeTemp(text) }]) {
      const doc = await openCsv(source, OPTIONS);
      const seen: number[] = [];
      let failure: unknown;
      try {
        for await (const record of recordsOf(doc)) {
          seen.push(record.rowNumber);
        }
      } catch (error) {
        failure = error;
      }
      expect(seen).toEqual([2, 3, 4, 5, 6]);
      expect(failure).toBeInstanceOf(CsvFormatError);
      const error = failure as CsvFormatError;
      expect(error.status).toBe(400);
      expect(error.rowNumber).toBe(7);
      expect(error.message).toMatch(/^row 7: a quoted field is not closed/);
    }
  });

  it('reports a malformed row after the first data row from the iteration, in row order', async () => {
    const doc = await openCsv({ buffer: Buffer.from('a,b\n1,2\n3,4\n5,"x"y\n7,8\n') }, OPTIONS);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const record of recordsOf(doc)) {
          seen.push(record.rowNumber);
        }
      })(),
    ).rejects.toThrow(/^row 4: unexpected character "y"/);
    expect(seen).toEqual([2, 3]);
  });

  it('reports a malformed header or first data row from openCsv', async () => {
    await expect(openCsv({ buffer: Buffer.from('a,"b"c\n1,2\n') }, OPTIONS)).rejects.toThrow(/^row 1: /);
    await expect(openCsv({ buffer: Buffer.from('a,b\n1,"2"x\n3,4\n') }, OPTIONS)).rejects.toThrow(/^row 2: /);
  });

  it('reports an unclosed quote in the first data row from openCsv', async () => {
    const error = await failureOf('a,b\n"x,y\n');
    expect(error.message).toMatch(/^row 2: a quoted field is not closed/);
  });

  it('reports a stray quote after a quoted field as a 400 naming the row, with no stack in the message', async () => {
    const error = await failureOf('a,b\n1,2\n3,"x"y\n');
    expect(error.status).toBe(400);
    expect(error.rowNumber).toBe(3);
    expect(error.message).toMatch(/^row 3: unexpected character "y" after the closing quote of column 2/);
    expect(error.message).not.toMatch(/\n|at .*\.ts/);
  });
});

describe('openCsv: limits', () => {
  const text = 'a,b\n1,x\n2,x\n3,x\n4,x\n5,x\n';

  it('reads exactly maxRows data rows', async () => {
    expect(await readBoth(text, { maxRows: 5 }).then((r) => r.rows.length)).toBe(5);
  });

  it('fails the iteration when row maxRows + 1 is reached', async () => {
    const doc = await openCsv({ buffer: Buffer.from(text) }, { ...OPTIONS, maxRows: 3 });
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const record of recordsOf(doc)) {
          seen.push(record.cells[0]);
        }
      })(),
    ).rejects.toEqual(new CsvFormatError(400, 'too many rows: the limit is 3 data rows', 5));
    expect(seen).toEqual(['1', '2', '3']);
  });

  it('counts data rows only: blank lines and the header are free', async () => {
    const { rows } = await readBoth('\n\na,b\n\n1,x\n\n\n2,x\n\n', { maxRows: 2 });
    expect(rows).toHaveLength(2);
  });

  it('with maxRows 0, fails on the first data row', async () => {
    const error = await failureOf(text, { maxRows: 0 });
    expect(error.message).toBe('too many rows: the limit is 0 data rows');
  });

  it('flags overlong cells, truncated to maxFieldChars + 1 characters', async () => {
    const { doc, rows } = await readBoth('name,longheader\nabcde,abcdef\n  abcde  ,"x""yzzz"\n', {
      maxFieldChars: 5,
    });
    expect(doc.header).toEqual({ rowNumber: 1, cells: ['name', 'longhe'], overlong: [1] });
    expect(rows).toEqual([
      { rowNumber: 2, cells: ['abcde', 'abcdef'], overlong: [1] },
      { rowNumber: 3, cells: ['abcde', 'x"yzzz'], overlong: [1] },
    ]);
  });

  it('reads a 20 MB single line without holding it, flagging the cell', async () => {
    const big = Buffer.alloc(20 * 1024 * 1024, 'x');
    const file = writeTemp(
      Buffer.concat([Buffer.from('a,b\n1,"'), big, Buffer.from('"\n2,'), big, Buffer.from('\n')]),
    );
    const { rows } = await read({ path: file }, { maxFieldChars: 100 });
    expect(rows).toEqual([
      { rowNumber: 2, cells: ['1', 'x'.repeat(101)], overlong: [1] },
      { rowNumber: 3, cells: ['2', 'x'.repeat(101)], overlong: [1] },
    ]);
  });

  it('reports an unclosed quote at the top of a large file as a clean error', async () => {
    const file = writeTemp('a,b\n1,2\n"x' + ',y\n'.repeat(2_000_000));
    const doc = await openCsv({ path: file }, OPTIONS);
    await expect(collect(recordsOf(doc))).rejects.toThrow(/^row 3: a quoted field is not closed/);
  });

  it('rejects invalid limits as a programming error', async () => {
    await expect(openCsv({ buffer: Buffer.from(text) }, { maxRows: -1, maxFieldChars: 10 })).rejects.toThrow(
      RangeError,
    );
    await expect(openCsv({ buffer: Buffer.from(text) }, { maxRows: 10, maxFieldChars: 0 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe('openCsv: resources', () => {
  let streams: ReadStream[];
  let spy: jest.SpyInstance;

  beforeEach(() => {
    streams = [];
    const original = fs.createReadStream;
    spy = jest.spyOn(fs, 'createReadStream').mockImplementation((...args: Parameters<typeof original>) => {
      const stream = original(...args);
      streams.push(stream);
      return stream;
    });
  });
  afterEach(() => {
    spy.mockRestore();
  });

  async function expectAllClosed(): Promise<void> {
    expect(streams.length).toBeGreaterThan(0);
    for (const stream of streams) {
      expect(stream.destroyed).toBe(true);
      if (!stream.closed) {
        await once(stream, 'close');
      }
    }
  }

  const bigFile = () => writeTemp('id,name\n' + 'abcdefghij,klmnopqrstuvwxyz\n'.repeat(200_000)); // 5.6 MB

  it('destroys the file stream when the consumer breaks out early', async () => {
    const doc = await openCsv({ path: bigFile() }, { ...OPTIONS, maxRows: 1_000_000 });
    let count = 0;
    for await (const record of recordsOf(doc)) {
      if (++count === 10_000) {
        expect(record.rowNumber).toBe(10_001);
        break;
      }
    }
    await expectAllClosed();
  });

  it('destroys the file stream when the consumer throws', async () => {
    const doc = await openCsv({ path: bigFile() }, { ...OPTIONS, maxRows: 1_000_000 });
    await expect(
      (async () => {
        for await (const record of recordsOf(doc)) {
          if (record.rowNumber === 50_000) {
            throw new Error('consumer failed');
          }
        }
      })(),
    ).rejects.toThrow('consumer failed');
    await expectAllClosed();
  });

  it('holds no open stream between openCsv and the iteration, and resumes where it stopped', async () => {
    const doc = await openCsv({ path: bigFile() }, { ...OPTIONS, maxRows: 1_000_000 });
    await expectAllClosed();
    const rows = await collect(recordsOf(doc));
    expect(rows).toHaveLength(200_000);
    expect(rows[199_999]).toEqual({ rowNumber: 200_001, cells: ['abcdefghij', 'klmnopqrstuvwxyz'] });
    await expectAllClosed();
  });

  it('closes the file when the row limit fails the iteration', async () => {
    const doc = await openCsv({ path: bigFile() }, { ...OPTIONS, maxRows: 100_000 });
    await expect(collect(recordsOf(doc))).rejects.toThrow('too many rows: the limit is 100000 data rows');
    await expectAllClosed();
  });

  it('closes the file when openCsv fails', async () => {
    await expect(openCsv({ path: writeTemp('a,b\n"x\n' + 'y\n'.repeat(300_000)) }, OPTIONS)).rejects.toThrow(
      CsvFormatError,
    );
    await expectAllClosed();
  });

  it('can be iterated only once', async () => {
    const doc = await openCsv({ buffer: Buffer.from('a\n1\n2\n') }, OPTIONS);
    expect(await collect(recordsOf(doc))).toHaveLength(2);
    expect(() => doc.batches[Symbol.asyncIterator]()).toThrow('iterated only once');
  });

  it('stays done after the end, after a break and after an error', async () => {
    const doc = await openCsv({ buffer: Buffer.from('a\n1\n2\n') }, OPTIONS);
    const iterator = doc.batches[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({
      done: false,
      value: [
        { rowNumber: 2, cells: ['1'] },
        { rowNumber: 3, cells: ['2'] },
      ],
    });
    await iterator.return?.();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });
});

describe('invalid bytes in a UTF-8 file (API.md §3)', () => {
  /** Every record of a document, with the cells that held invalid bytes. */
  async function marked(source: CsvSource): Promise<{ row: number; cells: number[] }[]> {
    const doc = await openCsv(source, { maxRows: 1_000_000, maxFieldChars: 10_000 });
    const found: { row: number; cells: number[] }[] = [];
    for await (const batch of doc.batches) {
      for (const record of batch)
        if (record.invalidBytes) found.push({ row: record.rowNumber, cells: record.invalidBytes });
    }
    return found;
  }

  it('marks exactly the records that held one, in any chunk, also a quoted record across chunks', async () => {
    const line = (i: number) => `Caffè ${i},Forlì,${i}\n`;
    const parts: Buffer[] = [];
    let length = 0;
    const add = (part: Buffer) => {
      parts.push(part);
      length += part.length;
    };
    add(Buffer.from('name,city,n\n'));
    let rows = 1;
    const until = (bytes: number) => {
      while (length < bytes) add(Buffer.from(line(++rows)));
    };
    until(3 * READ_CHUNK_BYTES + 100);
    add(Buffer.concat([Buffer.from('Bar,Forl'), Buffer.from([0xec]), Buffer.from(',x\n')]));
    const stray = ++rows;
    until(5 * READ_CHUNK_BYTES - 20);
    // A quoted record that starts in one chunk and holds its invalid byte in the next.
    add(
      Buffer.concat([
        Buffer.from('"Long\n'),
        Buffer.from('x'.repeat(60)),
        Buffer.from([0xff]),
        Buffer.from('",a,b\n'),
      ]),
    );
    const spanning = ++rows;
    until(7 * READ_CHUNK_BYTES);
    const bytes = Buffer.concat(parts);
    const expected = [
      { row: stray, cells: [1] },
      { row: spanning, cells: [0] },
    ];
    expect(await marked({ buffer: bytes })).toEqual(expected);
    const file = path.join(os.tmpdir(), `rowgate-invalid-bytes-${process.pid}.csv`);
    fs.writeFileSync(file, bytes);
    try {
      expect(await marked({ path: file })).toEqual(expected);
    } finally {
      fs.rmSync(file);
    }
  });

  it('a file without invalid bytes marks nothing', async () => {
    expect(await marked({ buffer: Buffer.from('name,city\nCaffè,Forlì\n💀,x\n') })).toEqual([]);
  });
});

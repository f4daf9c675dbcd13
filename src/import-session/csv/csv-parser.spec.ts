import fc from 'fast-check';
import { CsvFormatError } from './csv-format-error';
import { CsvRecordParser, DelimiterDetector, MAX_FIELDS_PER_RECORD } from './csv-parser';
import type { CsvRecord } from './csv-types';

interface ParseResult {
  records: CsvRecord[];
  error?: CsvFormatError;
}

function parseChunks(chunks: string[], delimiter = ',', maxFieldChars = 1000): ParseResult {
  const parser = new CsvRecordParser({ delimiter, maxFieldChars });
  const records: CsvRecord[] = [];
  try {
    for (const chunk of chunks) {
      parser.push(chunk);
      records.push(...parser.takeRecords());
    }
    parser.end();
    records.push(...parser.takeRecords());
    return { records };
  } catch (error) {
    records.push(...parser.takeRecords());
    if (!(error instanceof CsvFormatError)) {
      throw error;
    }
    return { records, error };
  }
}

function parse(text: string, delimiter = ',', maxFieldChars = 1000): ParseResult {
  return parseChunks([text], delimiter, maxFieldChars);
}

/** Splits text into pieces at the given positions. */
function splitAt(text: string, positions: number[]): string[] {
  const cuts = [...new Set(positions.map((p) => Math.min(Math.max(p, 0), text.length)))].sort(
    (a, b) => a - b,
  );
  const pieces: string[] = [];
  let last = 0;
  for (const cut of cuts) {
    pieces.push(text.slice(last, cut));
    last = cut;
  }
  pieces.push(text.slice(last));
  return pieces;
}

function cellsOf(result: ParseResult): string[][] {
  return result.records.map((r) => r.cells);
}

/**
 * A deliberately naive reference implementation of the same rules, on the whole text at once, to compare
 * the streaming parser (its fast line path and its slow chunk-spanning path) against.
 */
function referenceParse(
  text: string,
  delimiter: string,
  maxFieldChars: number,
): { records: CsvRecord[]; error?: { row: number; kind: 'unclosed' | 'after-quote' } } {
  const records: CsvRecord[] = [];
  let i = 0;
  let row = 0;
  const n = text.length;
  // Every whitespace character that trimming removes may stand before a quote, line ends and the
  // delimiter aside (API.md §3: cells are trimmed).
  const isBlank = (c: string) => c !== delimiter && c !== '\n' && c !== '\r' && c.trim() === '';
  while (i < n) {
    const cells: string[] = [];
    let quotedAny = false;
    let recordDone = false;
    while (!recordDone) {
      while (i < n && isBlank(text[i])) i++;
      if (i >= n) {
        if (cells.length > 0) cells.push('');
        recordDone = true;
        break;
      }
      if (cells.length === 0 && (text[i] === '\n' || text[i] === '\r')) {
        // end of a line with nothing on it
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
        recordDone = true;
        break;
      }
      let value: string;
      if (text[i] === '"') {
        quotedAny = true;
        i++;
        value = '';
        for (;;) {
          if (i >= n) return { records, error: { row: row + 1, kind: 'unclosed' } };
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          value += text[i++];
        }
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r' && /\s/.test(text[i]))
          i++;
        if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          return { records, error: { row: row + 1, kind: 'after-quote' } };
        }
      } else {
        const start = i;
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') i++;
        value = text.slice(start, i);
      }
      value = value.trim();
      cells.push(value);
      if (i >= n) {
        recordDone = true;
      } else if (text[i] === delimiter) {
        i++;
        if (i >= n) {
          cells.push('');
          recordDone = true;
        }
      } else {
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
        recordDone = true;
      }
    }
    const blank = !quotedAny && cells.every((c) => c === '') && (cells.length <= 1 || delimiter === '\t');
    if (!blank) {
      const record: CsvRecord = { rowNumber: ++row, cells: [] };
      cells.forEach((cell, index) => {
        if (cell.length > maxFieldChars) {
          (record.overlong ??= []).push(index);
          cell = cell.slice(0, maxFieldChars + 1);
        }
        record.cells.push(cell);
      });
      records.push(record);
    }
  }
  return { records };
}

describe('CsvRecordParser', () => {
  it('parses simple records, numbering them from 1 and trimming cells', () => {
    const { records, error } = parse('id, name \n1,  Alice  \n2,Bob\n');
    expect(error).toBeUndefined();
    expect(records).toEqual([
      { rowNumber: 1, cells: ['id', 'name'] },
      { rowNumber: 2, cells: ['1', 'Alice'] },
      { rowNumber: 3, cells: ['2', 'Bob'] },
    ]);
  });

  it('accepts a last record without a line end', () => {
    expect(cellsOf(parse('a,b\n1,2'))).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('splits records on %s', (_name, eol) => {
    const text = ['a,b', '1,2', '3,4'].join(eol) + eol;
    expect(cellsOf(parse(text))).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('accepts mixed line ends', () => {
    expect(cellsOf(parse('a\r\nb\rc\nd'))).toEqual([['a'], ['b'], ['c'], ['d']]);
  });

  it('keeps a CRLF split across two chunks as one line end', () => {
    expect(cellsOf(parseChunks(['a,b\r', '\n1,2\r', '\n']))).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(cellsOf(parseChunks(['a,b\r', '', '\n1,2']))).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks', () => {
    const { records } = parse('h1,h2\n"a,b","say ""hi"""\n"multi\nline\r\ntext",x\nlast,"" \n');
    expect(records).toEqual([
      { rowNumber: 1, cells: ['h1', 'h2'] },
      { rowNumber: 2, cells: ['a,b', 'say "hi"'] },
      { rowNumber: 3, cells: ['multi\nline\r\ntext', 'x'] },
      { rowNumber: 4, cells: ['last', ''] },
    ]);
  });

  it('ignores blanks around a quoted field and trims its content', () => {
    expect(cellsOf(parse('  "  a,b  "  ,\t"c"\t\n'))).toEqual([['a,b', 'c']]);
  });

  it('takes a quote inside an unquoted field literally', () => {
    expect(cellsOf(parse('a,5" screen,b\n'))).toEqual([['a', '5" screen', 'b']]);
  });

  it('skips blank and whitespace-only lines without giving them a row number', () => {
    const { records } = parse('\n  \r\n\t\na,b\n\n   \n1,2\r\n\r\n \t \n3,4\n\n');
    expect(records.map((r) => [r.rowNumber, r.cells])).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [3, ['3', '4']],
    ]);
  });

  it('does not skip a line of empty cells or a quoted empty cell', () => {
    expect(parse('a,b\n,\n""\n').records).toEqual([
      { rowNumber: 1, cells: ['a', 'b'] },
      { rowNumber: 2, cells: ['', ''] },
      { rowNumber: 3, cells: [''] },
    ]);
  });

  it('treats a line of tabs as blank when tab is the delimiter', () => {
    expect(parse('a\tb\n\t\t\n1\t2\n', '\t').records).toEqual([
      { rowNumber: 1, cells: ['a', 'b'] },
      { rowNumber: 2, cells: ['1', '2'] },
    ]);
  });

  it('passes ragged rows through and keeps a trailing empty cell', () => {
    expect(cellsOf(parse('a,b,c\n1\n1,2,3,4\n1,2,\n'))).toEqual([
      ['a', 'b', 'c'],
      ['1'],
      ['1', '2', '3', '4'],
      ['1', '2', ''],
    ]);
  });

  it.each([';', '\t', '|'])('parses with the %j delimiter', (d) => {
    const text = `a${d}"x${d}y"${d}c\n1${d}2${d}3\n`;
    expect(cellsOf(parse(text, d))).toEqual([
      ['a', `x${d}y`, 'c'],
      ['1', '2', '3'],
    ]);
  });

  it('reports an unclosed quote at the end with the row it opened on', () => {
    const { records, error } = parse('a,b\n1,2\n\n3,"abc\n4,5\n');
    expect(records.map((r) => r.rowNumber)).toEqual([1, 2]);
    expect(error).toBeInstanceOf(CsvFormatError);
    expect(error?.status).toBe(400);
    expect(error?.rowNumber).toBe(3);
    expect(error?.message).toMatch(/^row 3: a quoted field is not closed/);
  });

  it('reports text after a closing quote, keeping the records before it', () => {
    const { records, error } = parse('a,b\n1,2\n3,"abc"def\n');
    expect(records.map((r) => r.rowNumber)).toEqual([1, 2]);
    expect(error?.rowNumber).toBe(3);
    expect(error?.message).toMatch(/^row 3: unexpected character "d" after the closing quote of column 2/);
  });

  it('flags a cell cut inside an astral character, on the line path and on the chunk path', () => {
    // A quoted line break sends the record down the accumulator's path; the cut keeps one unit less so as
    // not to split the pair, and the kept part measures exactly maxFieldChars: still overlong.
    expect(parse('h\n"a😀\n"\n', ',', 1).records[1]).toEqual({ rowNumber: 2, cells: ['a'], overlong: [0] });
    expect(parse('h\n"a😀"\n', ',', 1).records[1]).toEqual({ rowNumber: 2, cells: ['a'], overlong: [0] });
    // A cell that crosses a chunk boundary, cut wherever.
    const emoji = '😀'.repeat(6);
    for (let cut = 2; cut < 2 + emoji.length; cut++) {
      const text = `h\n${emoji}\n`;
      const { records } = parseChunks([text.slice(0, cut), text.slice(cut)], ',', 9);
      expect(records[1].overlong).toEqual([0]);
    }
    // Exactly at the limit, on either path, nothing is flagged.
    expect(parse('h\n"😀\n"\n', ',', 3).records[1]).toEqual({ rowNumber: 2, cells: ['😀'] });
  });

  it('takes any whitespace that trimming removes before a quote as a blank', () => {
    for (const blank of [' ', '\t', '\u00a0', '\u2003', '\u3000']) {
      expect(parse(`a,b\n${blank}"x,y",z\n`).records[1].cells).toEqual(['x,y', 'z']);
      expect(parseChunks(['a,b\n', blank, '"x\ny",z\n']).records[1].cells).toEqual(['x\ny', 'z']);
    }
  });

  it('truncates an overlong cell to maxFieldChars + 1 characters and flags it', () => {
    const { records } = parse('a,b,c\nabcdef,  abcde  ,"abc""def"\nxy,"abcdefghij",\n', ',', 5);
    expect(records[1]).toEqual({ rowNumber: 2, cells: ['abcdef', 'abcde', 'abc"de'], overlong: [0, 2] });
    expect(records[2]).toEqual({ rowNumber: 3, cells: ['xy', 'abcdef', ''], overlong: [1] });
    expect(records[0].overlong).toBeUndefined();
  });

  it('bounds a field spanning many chunks and still finds the end of the record', () => {
    const big = 'x'.repeat(100_000);
    const text = `h1,h2\n1,  ${big}  \n"${big.replace(/x/g, '""')}",2\n3,4\n`;
    const chunks = splitAt(
      text,
      Array.from({ length: 60 }, (_, k) => k * 7919),
    );
    const { records, error } = parseChunks(chunks, ',', 10);
    expect(error).toBeUndefined();
    expect(records).toEqual([
      { rowNumber: 1, cells: ['h1', 'h2'] },
      { rowNumber: 2, cells: ['1', 'x'.repeat(11)], overlong: [1] },
      { rowNumber: 3, cells: ['"'.repeat(11), '2'], overlong: [0] },
      { rowNumber: 4, cells: ['3', '4'] },
    ]);
  });

  it('does not flag a cell whose only overflow is whitespace', () => {
    const text = `a\n   abc${' '.repeat(50)}\n`;
    for (const chunks of [[text], text.split('')]) {
      expect(parseChunks(chunks, ',', 3).records[1]).toEqual({ rowNumber: 2, cells: ['abc'] });
    }
  });

  it(`rejects a record with more than ${MAX_FIELDS_PER_RECORD} fields`, () => {
    const { error } = parse(`a\n1\n${','.repeat(MAX_FIELDS_PER_RECORD)}x\n`);
    expect(error?.message).toBe(`row 3: too many fields (more than 16,384 in one record)`);
    expect(parse(`a\n${','.repeat(MAX_FIELDS_PER_RECORD - 1)}\n`).records[1].cells).toHaveLength(
      MAX_FIELDS_PER_RECORD,
    );
  });

  it('gives the same result however the text is cut into chunks', () => {
    const samples = [
      'h1,h2,h3\r\n"a ""q"" b",  c  ,"multi\r\nline"\r\n\r\n  \r\nx,,\r\n"",y,"z"\r\n',
      'a;b\r1;"2\r3"\r\r4;5',
      '\ufeffx|y\n"|"|" "\n',
      'a,b\n1,"unclosed\n2,3\n',
      'a,b\n1,"x" y\n',
    ];
    for (const text of samples) {
      const delimiter = text.includes(';') ? ';' : text.includes('|') ? '|' : ',';
      const whole = parse(text, delimiter, 4);
      for (let cut = 0; cut <= text.length; cut++) {
        expect(parseChunks([text.slice(0, cut), text.slice(cut)], delimiter, 4)).toEqual(whole);
      }
      expect(parseChunks(text.split(''), delimiter, 4)).toEqual(whole);
    }
  });

  it('matches a naive reference implementation on random input, whatever the chunking', () => {
    const delimiters = [',', ';', '\t', '|'];
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom('a', 'b', 'é', ' ', '\t', ',', ';', '|', '"', '\n', '\r', '\u00a0'),
          maxLength: 60,
        }),
        fc.constantFrom(...delimiters),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat({ max: 60 }), { maxLength: 5 }),
        (text, delimiter, maxFieldChars, cuts) => {
          const expected = referenceParse(text, delimiter, maxFieldChars);
          for (const chunks of [[text], splitAt(text, cuts), text.split('')]) {
            const actual = parseChunks(chunks, delimiter, maxFieldChars);
            expect(actual.records).toEqual(expected.records);
            if (expected.error === undefined) {
              expect(actual.error).toBeUndefined();
            } else {
              expect(actual.error?.rowNumber).toBe(expected.error.row);
              expect(actual.error?.message).toMatch(
                expected.error.kind === 'unclosed'
                  ? /a quoted field is not closed/
                  : /after the closing quote/,
              );
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('DelimiterDetector', () => {
  function detect(text: string, chunkSize = text.length || 1): string {
    const detector = new DelimiterDetector();
    for (let i = 0; i < text.length && !detector.done; i += chunkSize) {
      detector.feed(text.slice(i, i + chunkSize));
    }
    return detector.delimiter;
  }

  it.each([
    ['a,b,c\n1;2;3;4;5\n', ','],
    ['a;b;c\n1,2,3,4\n', ';'],
    ['a\tb\tc\n', '\t'],
    ['a|b|c\n', '|'],
    ['a,b;c\n', ','],
    ['a;b\tc\n', ';'],
    ['a\tb|c\n', '\t'],
    ['a;b|c,d\n', ','],
    ['single\n1\n', ','],
    ['', ','],
    ['"a,b";c;d\n', ';'],
    ['"a;b;c;d",e,f\n', ','],
    ['"say ""a,b,c""";x\n', ';'],
    ['"line\nbreak,,,";x\n', ';'],
    ['\n  \n\t\t\na;b\n1,2,3,4\n', ';'],
    ['a,b\r1;2;3;4\r', ','],
    ['x"a,b,c";d\n', ','],
    ['a ; b ; c , d\n', ';'],
    ['\u00a0\n\u3000 \v\na;b\n1,2,3\n', ';'],
    ['\u00a0"a,b,c";d\n', ','],
  ])('finds the delimiter of %j: %j', (text, expected) => {
    expect(detect(text)).toBe(expected);
    expect(detect(text, 1)).toBe(expected);
    expect(detect(text, 3)).toBe(expected);
  });

  it('stops at the end of the header line', () => {
    const detector = new DelimiterDetector();
    detector.feed('a;b;');
    expect(detector.done).toBe(false);
    detector.feed('c\n1,2,3,4,5,6\n');
    expect(detector.done).toBe(true);
    expect(detector.delimiter).toBe(';');
  });

  it('decides after 1 Mi characters when the header line does not end', () => {
    const detector = new DelimiterDetector();
    const chunk = 'a;'.repeat(64 * 1024);
    let fed = 0;
    while (!detector.done) {
      detector.feed(chunk);
      fed += chunk.length;
      expect(fed).toBeLessThanOrEqual(2 * 1024 * 1024);
    }
    expect(detector.delimiter).toBe(';');
  });
});

import { isUtf8 } from 'buffer';
import fc from 'fast-check';
import {
  cellsWithInvalidBytes,
  createChunkDecoder,
  decodeMarkingInvalid,
  detectBom,
  detectEncoding,
  TextSniffer,
  Utf8Validator,
} from './csv-encoding';
import { CsvFormatError } from './csv-format-error';

function validate(chunks: Buffer[]): boolean {
  const validator = new Utf8Validator();
  for (const chunk of chunks) {
    validator.write(chunk);
  }
  return validator.end() === 'utf-8';
}

function verdict(chunks: Buffer[]): string {
  const validator = new Utf8Validator();
  for (const chunk of chunks) validator.write(chunk);
  return validator.end();
}

function splitBytes(bytes: Buffer, cuts: number[]): Buffer[] {
  const sorted = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let last = 0;
  for (const cut of sorted) {
    chunks.push(bytes.subarray(last, cut));
    last = cut;
  }
  chunks.push(bytes.subarray(last));
  return chunks;
}

describe('Utf8Validator', () => {
  const valid = Buffer.from('aé€😀z\u0800\uffff\u{10ffff}', 'utf8');
  const invalid = [
    Buffer.from([0x61, 0xe9, 0x62]), // Latin-1 é
    Buffer.from([0x80]), // lone continuation byte
    Buffer.from([0xc0, 0xaf]), // overlong
    Buffer.from([0xed, 0xa0, 0x80]), // surrogate
    Buffer.from([0xf4, 0x90, 0x80, 0x80]), // above U+10FFFF
    Buffer.from([0xe2, 0x82]), // cut off at the end
    Buffer.from([0xf0, 0x9f, 0x98, 0x61]), // bad continuation
    Buffer.from([0xff]),
  ];

  it('accepts valid UTF-8 cut at every position, in two or in single bytes', () => {
    for (let cut = 0; cut <= valid.length; cut++) {
      expect(validate([valid.subarray(0, cut), valid.subarray(cut)])).toBe(true);
    }
    expect(validate([...valid].map((b) => Buffer.from([b])))).toBe(true);
    expect(validate([])).toBe(true);
  });

  it.each(invalid.map((b) => [b.toString('hex'), b]))('rejects %s however it is cut', (_hex, bytes) => {
    const text = Buffer.concat([Buffer.from('ok '), bytes, Buffer.from(' ok')]);
    const endsCut = Buffer.concat([Buffer.from('ok '), bytes]);
    for (const sample of [text, endsCut]) {
      expect(validate([sample])).toBe(false);
      for (let cut = 0; cut <= sample.length; cut++) {
        expect(validate([sample.subarray(0, cut), sample.subarray(cut)])).toBe(false);
      }
      expect(validate([...sample].map((b) => Buffer.from([b])))).toBe(false);
    }
  });

  it('agrees with buffer.isUtf8 on random bytes and random chunking', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
        ),
        fc.array(fc.nat({ max: 40 }), { maxLength: 6 }),
        (array, cuts) => {
          const bytes = Buffer.from(array);
          expect(validate(splitBytes(bytes, cuts))).toBe(isUtf8(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('does not depend on the caller keeping the chunk (buffers are reused)', () => {
    const validator = new Utf8Validator();
    const reused = Buffer.alloc(2);
    const bytes = Buffer.from('€€', 'utf8'); // e2 82 ac e2 82 ac
    for (let i = 0; i < bytes.length; i += 2) {
      bytes.copy(reused, 0, i, i + 2);
      validator.write(reused);
    }
    expect(validator.end()).toBe('utf-8');
  });
});

describe('detectBom', () => {
  it.each([
    [[0xef, 0xbb, 0xbf, 0x61], { encoding: 'utf-8', bomLength: 3 }],
    [[0xff, 0xfe, 0x61, 0x00], { encoding: 'utf-16le', bomLength: 2 }],
    [[0xfe, 0xff, 0x00, 0x61], { encoding: 'utf-16be', bomLength: 2 }],
    [[0x61, 0x62], undefined],
    [[0xef, 0xbb], undefined],
    [[], undefined],
  ])('%j → %j', (bytes, expected) => {
    expect(detectBom(Buffer.from(bytes))).toEqual(expected);
  });
});

describe('createChunkDecoder', () => {
  const text = 'aé€😀z\r\n';

  it.each([
    ['utf-8', Buffer.from(text, 'utf8')],
    ['utf-16le', Buffer.from(text, 'utf16le')],
    ['utf-16be', Buffer.from(text, 'utf16le').swap16()],
  ] as const)('decodes %s cut at any position', (encoding, bytes) => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = createChunkDecoder(encoding);
      const decoded =
        decoder.write(bytes.subarray(0, cut)) + decoder.write(bytes.subarray(cut)) + decoder.end();
      expect(decoded).toBe(text);
    }
  });

  it('decodes windows-1252, including the 0x80-0x9f range', () => {
    const decoder = createChunkDecoder('windows-1252');
    expect(decoder.write(Buffer.from([0x80, 0xe9, 0x9c, 0x41])) + decoder.end()).toBe('€éœA');
  });

  it.each(['utf-16le', 'utf-16be'] as const)('rejects %s text with an odd number of bytes', (encoding) => {
    const decoder = createChunkDecoder(encoding);
    decoder.write(Buffer.from([0x61, 0x00, 0x62]));
    expect(() => decoder.end()).toThrow(CsvFormatError);
  });
});

describe('TextSniffer', () => {
  it('accepts ordinary text with tabs and line breaks', () => {
    expect(() => new TextSniffer().inspect('a\tb\r\nc,d\n€ é 😀\n')).not.toThrow();
  });

  it('rejects a NUL character anywhere', () => {
    const sniffer = new TextSniffer();
    sniffer.inspect('a'.repeat(100_000));
    expect(() => sniffer.inspect('ab\0c')).toThrow('file is not a text CSV file');
  });

  it('rejects text that is mostly control characters', () => {
    expect(() => new TextSniffer().inspect('a,b\n\x01\x02\x03\x04\x1b\x7f\n')).toThrow(CsvFormatError);
  });

  it('tolerates a few control characters', () => {
    expect(() => new TextSniffer().inspect(`a,b\n${'x'.repeat(100)}\x01\n`)).not.toThrow();
  });
});

describe('the encoding rule (API.md §3)', () => {
  const latin1 = Buffer.from('città,Forlì\n', 'latin1');
  const utf8 = Buffer.from('città,Forlì\n', 'utf8');

  it('a file with invalid bytes and no valid multi-byte sequence is a legacy file', async () => {
    expect(await detectEncoding({ buffer: latin1 })).toEqual({ encoding: 'windows-1252', bomLength: 0 });
    expect(verdict([latin1])).toBe('legacy');
  });

  it('a UTF-8 file with one stray byte stays UTF-8, with invalid bytes', async () => {
    const mixed = Buffer.concat([utf8, Buffer.from([0x61, 0xe8, 0x62, 0x0a]), utf8]);
    expect(await detectEncoding({ buffer: mixed })).toEqual({
      encoding: 'utf-8',
      bomLength: 0,
      invalidBytes: true,
    });
    // However the chunks cut it, and wherever the stray byte is.
    for (let cut = 0; cut <= mixed.length; cut++) {
      expect(verdict([mixed.subarray(0, cut), mixed.subarray(cut)])).toBe('invalid-utf-8');
    }
    const strayFirst = Buffer.concat([Buffer.from([0xe8, 0x0a]), utf8]);
    expect(verdict([strayFirst])).toBe('invalid-utf-8');
  });

  it('a UTF-8 BOM keeps a file UTF-8 whatever it holds', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), latin1]);
    expect(await detectEncoding({ buffer: bom })).toEqual({
      encoding: 'utf-8',
      bomLength: 3,
      invalidBytes: true,
    });
  });

  it('decodes each invalid byte as its own lone surrogate, and every valid character as itself', () => {
    const text = decodeMarkingInvalid(
      Buffer.concat([Buffer.from('è😀', 'utf8'), Buffer.from([0xe8, 0xc0, 0xaf])]),
    );
    expect(text).toBe('è😀\udce8\udcc0\udcaf');
    expect(cellsWithInvalidBytes(['ok', 'è😀', text, '💀'])).toEqual([2]);
  });

  it('the marking decoder gives the same text however the chunks cut the bytes', () => {
    const bytes = Buffer.concat([
      Buffer.from('aé€😀💀', 'utf8'),
      Buffer.from([0xff, 0xe2, 0x82]),
      Buffer.from('zè', 'utf8'),
    ]);
    const whole = decodeMarkingInvalid(bytes);
    expect(whole).toBe('aé€😀💀\udcff\udce2\udc82zè');
    for (let cut = 0; cut <= bytes.length; cut++) {
      const decoder = createChunkDecoder('utf-8', true);
      const text = decoder.write(bytes.subarray(0, cut)) + decoder.write(bytes.subarray(cut)) + decoder.end();
      expect(text).toBe(whole);
    }
  });
});

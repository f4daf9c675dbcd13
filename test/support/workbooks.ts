import ExcelJS from 'exceljs';
import { crc32, deflateRawSync } from 'node:zlib';

/** A cell as ExcelJS takes it: a value, a formula with its cached result, an error, a date. */
export type Cell = ExcelJS.CellValue;

export interface SheetSpec {
  name: string;
  rows: Cell[][];
  /** Number formats by cell reference (`{D2: 'yyyy-mm-dd'}`). */
  formats?: Record<string, string>;
}

/** An `.xlsx` workbook written by ExcelJS, sheets in order; `date1904` for the 1904 date system. */
export async function workbook(sheets: SheetSpec[], { date1904 = false } = {}): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  book.properties.date1904 = date1904;
  for (const spec of sheets) {
    const sheet = book.addWorksheet(spec.name);
    spec.rows.forEach((row, i) => {
      if (row.length > 0) sheet.getRow(i + 1).values = row;
    });
    for (const [ref, format] of Object.entries(spec.formats ?? {})) sheet.getCell(ref).numFmt = format;
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** The rows of a workbook's first sheet read back with ExcelJS: each cell's value and type as stored. */
export async function readBack(
  buffer: Buffer,
): Promise<{ values: unknown[][]; types: ExcelJS.ValueType[][] }> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(buffer);
  const sheet = book.worksheets[0];
  const values: unknown[][] = [];
  const types: ExcelJS.ValueType[][] = [];
  sheet.eachRow((row) => {
    const cells: unknown[] = [];
    const kinds: ExcelJS.ValueType[] = [];
    row.eachCell({ includeEmpty: true }, (cell) => {
      cells.push(cell.value);
      kinds.push(cell.type);
    });
    values.push(cells);
    types.push(kinds);
  });
  return { values, types };
}

export interface ZipPart {
  name: string;
  data: string | Buffer;
  /** The uncompressed size the archive declares (default: the true one). */
  declaredSize?: number;
  /** Stored as it is, not deflated (an OpenDocument file's `mimetype`). */
  stored?: boolean;
}

/**
 * A ZIP archive built entry by entry (deflated), for archives no spreadsheet program writes: sizes that lie,
 * parts missing, hand-written worksheet XML.
 */
export function zipOf(parts: ZipPart[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const part of parts) {
    const data = Buffer.isBuffer(part.data) ? part.data : Buffer.from(part.data, 'utf8');
    const packed = part.stored ? data : deflateRawSync(data);
    const name = Buffer.from(part.name, 'utf8');
    const size = part.declaredSize ?? data.length;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(part.stored ? 0 : 8, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, packed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(part.stored ? 0 : 8, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A raw cell of a hand-written worksheet: `<c r=… t=…>` with its inner XML. */
export interface RawCell {
  ref: string;
  type?: string;
  style?: number;
  xml: string;
}

export const inlineCell = (ref: string, text: string): RawCell => ({
  ref,
  type: 'inlineStr',
  xml: `<is><t>${escapeXml(text)}</t></is>`,
});

/**
 * A minimal workbook written by hand: one worksheet of raw cells by row number, an optional styles part
 * (cellXfs number formats, `numFmts` custom codes) and the 1904 flag.
 */
export function handWorkbook(
  rows: Record<number, RawCell[]>,
  options: {
    date1904?: boolean;
    cellFormats?: number[];
    customFormats?: Record<number, string>;
    /** The size the archive declares for the worksheet part (default: its true size). */
    sheetDeclaredSize?: number;
    /** The worksheet XML as it is, instead of one built from `rows`. */
    sheetXml?: string;
    /** A shared strings part, as it is. */
    sharedStringsXml?: string;
  } = {},
): Buffer {
  const sheetData = Object.entries(rows)
    .map(
      ([r, cells]) =>
        `<row r="${r}">${cells
          .map(
            (c) =>
              `<c r="${/\d/.test(c.ref) ? c.ref : c.ref + r}"${c.type ? ` t="${c.type}"` : ''}${c.style !== undefined ? ` s="${c.style}"` : ''}>${c.xml}</c>`,
          )
          .join('')}</row>`,
    )
    .join('');
  const ns = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const custom = Object.entries(options.customFormats ?? {});
  const styles =
    `<styleSheet xmlns="${ns}">` +
    (custom.length
      ? `<numFmts count="${custom.length}">${custom.map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${escapeXml(code)}"/>`).join('')}</numFmts>`
      : '') +
    `<cellXfs>${(options.cellFormats ?? [0]).map((id) => `<xf numFmtId="${id}"/>`).join('')}</cellXfs></styleSheet>`;
  return zipOf([
    {
      name: '[Content_Types].xml',
      data: '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
    },
    {
      name: '_rels/.rels',
      data: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    },
    {
      name: 'xl/workbook.xml',
      data: `<workbook xmlns="${ns}" xmlns:r="${rel}"><workbookPr${options.date1904 ? ' date1904="1"' : ''}/><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${rel}/styles" Target="styles.xml"/>${options.sharedStringsXml === undefined ? '' : `<Relationship Id="rId3" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/>`}</Relationships>`,
    },
    ...(options.sharedStringsXml === undefined
      ? []
      : [{ name: 'xl/sharedStrings.xml', data: options.sharedStringsXml }]),
    { name: 'xl/styles.xml', data: styles },
    {
      name: 'xl/worksheets/sheet1.xml',
      data: options.sheetXml ?? `<worksheet xmlns="${ns}"><sheetData>${sheetData}</sheetData></worksheet>`,
      declaredSize: options.sheetDeclaredSize,
    },
  ]);
}

/** A row of inline-string cells from column A on. */
export const inlineRow = (...texts: string[]): RawCell[] =>
  texts.map((text, i) => inlineCell(`${String.fromCharCode(65 + i)}`, text));

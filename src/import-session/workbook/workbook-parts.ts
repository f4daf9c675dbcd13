import { SaxesParser, SaxesTagPlain } from 'saxes';
import { CsvFormatError } from '../csv/csv-format-error';
import { isDateFormat } from './cell-text';
import { SharedStrings } from './shared-strings';
import {
  DAMAGED_MESSAGE,
  NOT_A_WORKBOOK_MESSAGE,
  NO_WORKSHEET_MESSAGE,
  ODS_MESSAGE,
} from './workbook-messages';
import { ZipArchive } from './zip-archive';

/** An element's name without its namespace prefix (`x:row` → `row`). */
export const localName = (name: string) => {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
};

/** An attribute by its local name, whatever its prefix (`r:id`). */
function attribute(tag: SaxesTagPlain, name: string): string | undefined {
  for (const [key, value] of Object.entries(tag.attributes)) if (localName(key) === name) return value;
  return undefined;
}

/** A SAX parser whose errors are the archive's: a part that is not well-formed XML is a damaged workbook. */
export function xmlParser(): SaxesParser {
  const parser = new SaxesParser({ xmlns: false, position: false });
  parser.on('error', () => {
    throw new CsvFormatError(400, DAMAGED_MESSAGE);
  });
  return parser;
}

/** Calls `open` for every element of a small part, read whole. */
function eachElement(text: string, open: (name: string, tag: SaxesTagPlain) => void): void {
  const parser = xmlParser();
  parser.on('opentag', (tag) => open(localName(tag.name), tag));
  parser.write(text).close();
}

/** `xl/workbook.xml` + `worksheets/sheet1.xml` → `xl/worksheets/sheet1.xml`; absolute targets from the root. */
function resolvePart(from: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = from.split('/').slice(0, -1);
  for (const piece of target.split('/')) {
    if (piece === '..') parts.pop();
    else if (piece !== '.' && piece !== '') parts.push(piece);
  }
  return parts.join('/');
}

const relsOf = (part: string) => {
  const slash = part.lastIndexOf('/');
  return `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
};

interface Relationship {
  type: string;
  target: string;
}

async function relationships(archive: ZipArchive, part: string): Promise<Map<string, Relationship>> {
  const rels = new Map<string, Relationship>();
  const name = relsOf(part);
  if (!archive.has(name)) return rels;
  eachElement(await archive.readText(name), (element, tag) => {
    if (element !== 'Relationship') return;
    const id = attribute(tag, 'Id');
    const target = attribute(tag, 'Target');
    if (id === undefined || target === undefined || attribute(tag, 'TargetMode') === 'External') return;
    rels.set(id, { type: attribute(tag, 'Type') ?? '', target: resolvePart(part, target) });
  });
  return rels;
}

export interface WorksheetPart {
  name: string;
  part: string;
}

/** What the reader needs of a workbook before its worksheet: the sheets, dates, styles and shared strings. */
export interface WorkbookParts {
  sheets: WorksheetPart[];
  date1904: boolean;
  sharedStringsPart?: string;
  stylesPart?: string;
}

/** Reads the workbook part: its worksheets in order (chart sheets left out) and its date system. */
export async function readWorkbook(archive: ZipArchive): Promise<WorkbookParts> {
  let workbookPart = 'xl/workbook.xml';
  for (const rel of (await relationships(archive, '')).values()) {
    if (rel.type.endsWith('/officeDocument')) workbookPart = rel.target;
  }
  if (!archive.has(workbookPart)) {
    const ods = archive.has('content.xml') && archive.has('META-INF/manifest.xml');
    throw new CsvFormatError(400, ods ? ODS_MESSAGE : NOT_A_WORKBOOK_MESSAGE);
  }
  const rels = await relationships(archive, workbookPart);
  const declared: { name: string; id: string }[] = [];
  let date1904 = false;
  eachElement(await archive.readText(workbookPart), (element, tag) => {
    if (element === 'workbookPr') {
      const value = attribute(tag, 'date1904');
      date1904 = value === '1' || value === 'true';
    } else if (element === 'sheet') {
      declared.push({ name: attribute(tag, 'name') ?? '', id: attribute(tag, 'id') ?? '' });
    }
  });
  const sheets: WorksheetPart[] = [];
  for (const sheet of declared) {
    const rel = rels.get(sheet.id);
    if (rel?.type.endsWith('/worksheet') && archive.has(rel.target)) {
      sheets.push({ name: sheet.name, part: rel.target });
    }
  }
  if (sheets.length === 0) throw new CsvFormatError(400, NO_WORKSHEET_MESSAGE);
  const partOf = (suffix: string) => [...rels.values()].find((r) => r.type.endsWith(suffix))?.target;
  const sharedStringsPart = partOf('/sharedStrings');
  const stylesPart = partOf('/styles');
  return {
    sheets,
    date1904,
    sharedStringsPart: sharedStringsPart && archive.has(sharedStringsPart) ? sharedStringsPart : undefined,
    stylesPart: stylesPart && archive.has(stylesPart) ? stylesPart : undefined,
  };
}

/** For each cell style (`s`), whether its number format shows a date. */
export async function readDateStyles(archive: ZipArchive, part: string | undefined): Promise<boolean[]> {
  if (part === undefined) return [];
  const codes = new Map<number, string>();
  const formats: number[] = [];
  let inCellXfs = false;
  const parser = xmlParser();
  parser.on('opentag', (tag) => {
    const name = localName(tag.name);
    const plain = tag;
    if (name === 'numFmt') {
      codes.set(Number(attribute(plain, 'numFmtId')), attribute(plain, 'formatCode') ?? '');
    } else if (name === 'cellXfs') {
      inCellXfs = true;
    } else if (name === 'xf' && inCellXfs) {
      formats.push(Number(attribute(plain, 'numFmtId') ?? 0));
    }
  });
  parser.on('closetag', (tag) => {
    if (localName(tag.name) === 'cellXfs') inCellXfs = false;
  });
  parser.write(await archive.readText(part)).close();
  return formats.map((id) => isDateFormat(id, codes.get(id)));
}

/** What a held string is taken to cost: two bytes a character (at most) and its offset. */
const heldBytes = (text: string) => 2 * text.length + 8;

/**
 * The shared strings, in order: the text of each item (its runs joined, phonetic guides left out). They are
 * held for the whole read: their part is counted in the unpacked budget like any other, and so is the memory
 * they hold, so that a table of millions of tiny strings is refused (413) before it fills memory.
 */
export async function readSharedStrings(
  archive: ZipArchive,
  part: string | undefined,
): Promise<SharedStrings> {
  const strings = new SharedStrings();
  if (part === undefined) return strings.end();
  let text = '';
  let inText = false;
  let inPhonetic = false;
  const parser = xmlParser();
  parser.on('opentag', (tag) => {
    const name = localName(tag.name);
    if (name === 'si') text = '';
    else if (name === 't') inText = !inPhonetic;
    else if (name === 'rPh') inPhonetic = true;
  });
  parser.on('text', (value) => {
    if (inText) text += value;
  });
  parser.on('closetag', (tag) => {
    const name = localName(tag.name);
    if (name === 'si') {
      strings.push(text);
      archive.charge(heldBytes(text));
    } else if (name === 't') inText = false;
    else if (name === 'rPh') inPhonetic = false;
  });
  for await (const piece of archive.text(part)) parser.write(piece);
  parser.close();
  return strings.end();
}

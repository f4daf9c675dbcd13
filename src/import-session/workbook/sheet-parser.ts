import { SaxesTagPlain } from 'saxes';
import { CsvFormatError } from '../csv/csv-format-error';
import type { CsvRecord } from '../csv/csv-types';
import { MAX_FIELDS_PER_RECORD } from '../csv/csv-parser';
import { dateText, numberText } from './cell-text';
import { SharedStrings } from './shared-strings';
import { localName, xmlParser } from './workbook-parts';

export interface SheetContext {
  sharedStrings: SharedStrings;
  /** For each cell style, whether it shows a date. */
  dateStyles: readonly boolean[];
  date1904: boolean;
  /** Per-cell character cap (UTF-16 code units, after trimming), as for CSV. */
  maxFieldChars: number;
}

/** `C12` → 2 (0-based column); -1 when the reference has no letters. */
function columnOf(ref: string): number {
  let column = 0;
  let i = 0;
  for (; i < ref.length; i++) {
    const code = ref.charCodeAt(i) | 0x20; // lower case
    if (code < 0x61 || code > 0x7a) break;
    column = column * 26 + (code - 0x60);
  }
  return i === 0 ? -1 : column - 1;
}

/**
 * Turns a worksheet's XML, pushed a piece at a time, into records: one for each row that has a non-empty
 * cell, numbered with the worksheet's own row number, its cells at their columns (gaps are empty cells).
 * Only the rows of the current piece are held; {@link takeRecords} hands them out.
 */
export class SheetParser {
  private readonly parser = xmlParser();
  private records: CsvRecord[] = [];
  private rowNumber = 0;
  private cells: string[] = [];
  private errorCells: number[] | undefined;
  private overlong: number[] | undefined;
  private filled = false;
  private column = 0;
  private type = 'n';
  private isDate = false;
  private value = '';
  /** Inside `<v>`, or a `<t>` of an inline string (not of its phonetic guide). */
  private collecting = false;
  private inInline = false;
  private inPhonetic = false;

  constructor(private readonly context: SheetContext) {
    this.parser.on('opentag', (tag) => this.open(localName(tag.name), tag));
    this.parser.on('closetag', (tag) => this.close(localName(tag.name)));
    this.parser.on('text', (text) => {
      if (this.collecting) this.value += text;
    });
  }

  push(text: string): void {
    this.parser.write(text);
  }

  end(): void {
    this.parser.close();
  }

  takeRecords(): CsvRecord[] {
    const records = this.records;
    this.records = [];
    return records;
  }

  private open(name: string, tag: SaxesTagPlain): void {
    switch (name) {
      case 'row': {
        const r = Number(tag.attributes.r);
        this.rowNumber = Number.isSafeInteger(r) && r > this.rowNumber ? r : this.rowNumber + 1;
        this.cells = [];
        this.errorCells = undefined;
        this.overlong = undefined;
        this.filled = false;
        this.column = 0;
        return;
      }
      case 'c': {
        const ref = tag.attributes.r;
        const at = ref === undefined ? -1 : columnOf(ref);
        this.column = at >= 0 ? at : this.cells.length;
        if (this.column >= MAX_FIELDS_PER_RECORD) {
          throw new CsvFormatError(
            400,
            `row ${this.rowNumber}: too many fields (more than ${MAX_FIELDS_PER_RECORD.toLocaleString('en-US')} in one record)`,
            this.rowNumber,
          );
        }
        this.type = tag.attributes.t ?? 'n';
        const style = tag.attributes.s;
        this.isDate = style !== undefined && this.context.dateStyles[Number(style)] === true;
        this.value = '';
        this.collecting = false;
        return;
      }
      case 'v':
        this.collecting = true;
        return;
      case 'is':
        this.inInline = true;
        return;
      case 'rPh':
        this.inPhonetic = true;
        return;
      case 't':
        if (this.inInline && !this.inPhonetic) this.collecting = true;
        return;
    }
  }

  private close(name: string): void {
    switch (name) {
      case 'v':
      case 't':
        this.collecting = false;
        return;
      case 'is':
        this.inInline = false;
        return;
      case 'rPh':
        this.inPhonetic = false;
        return;
      case 'c':
        this.endCell();
        return;
      case 'row':
        this.endRow();
        return;
    }
  }

  private endCell(): void {
    const { value, type } = this;
    let text: string;
    switch (type) {
      case 's':
        text = this.context.sharedStrings.get(Number(value)) ?? '';
        break;
      case 'inlineStr':
      case 'str':
        text = value;
        break;
      case 'b':
        text = value === '' ? '' : value === '0' ? 'FALSE' : 'TRUE';
        break;
      case 'e':
        text = value;
        if (value !== '') (this.errorCells ??= []).push(this.column);
        break;
      case 'd':
        text = value.replace(/T00:00:00(\.0+)?Z?$/, '').replace(/(\.0+)?Z$/, '');
        break;
      default:
        text = value === '' ? '' : this.isDate ? dateText(value, this.context.date1904) : numberText(value);
    }
    text = text.trim();
    if (text === '') return;
    if (text.length > this.context.maxFieldChars) {
      (this.overlong ??= []).push(this.column);
      text = text.slice(0, this.context.maxFieldChars + 1);
    }
    const cells = this.cells;
    while (cells.length < this.column) cells.push('');
    cells[this.column] = text;
    this.filled = true;
  }

  private endRow(): void {
    if (!this.filled) return;
    const record: CsvRecord = { rowNumber: this.rowNumber, cells: this.cells };
    if (this.overlong) record.overlong = this.overlong;
    if (this.errorCells) record.errorCells = this.errorCells;
    this.records.push(record);
  }
}

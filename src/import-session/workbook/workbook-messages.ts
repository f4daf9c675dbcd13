/** The 400s of a file that looks like a spreadsheet but cannot be read as an `.xlsx` workbook (API.md §11). */
export const DAMAGED_MESSAGE =
  'the workbook is damaged and cannot be read: open it and save it again as .xlsx, or as CSV';

export const LEGACY_MESSAGE =
  'the file is a legacy Excel .xls workbook or a password-protected workbook: save it as .xlsx without a password, or as CSV';

export const ODS_MESSAGE = 'the file is an OpenDocument spreadsheet (.ods): save it as .xlsx or as CSV';

export const NOT_A_WORKBOOK_MESSAGE =
  'the file is a ZIP archive but not an Excel workbook: save the sheet as .xlsx or as CSV';

export const NO_WORKSHEET_MESSAGE =
  'the workbook has no worksheet: save the data on a worksheet as .xlsx, or as CSV';

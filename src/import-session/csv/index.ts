export {
  CsvFormatError,
  openCsv,
  parseDelimiterOption,
  type CsvDocument,
  type CsvEncoding,
  type CsvReadOptions,
  type CsvRecord,
  type CsvSource,
} from './csv-reader';

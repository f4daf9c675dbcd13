/**
 * A problem with the uploaded file as a whole (not with one row's values). `status` is the HTTP status the
 * caller should answer with; `message` is a human sentence safe to show to the user (never a stack trace).
 */
export class CsvFormatError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
    readonly rowNumber?: number,
  ) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

export const NOT_TEXT_MESSAGE = 'file is not a text CSV file';

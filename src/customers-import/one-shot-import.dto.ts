/** `POST /api/customers/import` (API.md §5). */
export class OneShotImportDto {
  /**
   * The CSV text: a header line, then one customer per line.
   * @example "company_name,vat_number,email\nAcme,IT01234567890,info@acme.example"
   */
  content: string;
}

export class OneShotErrorDto {
  /** 0-based index of the data row; absent for a problem of the whole file. @example 1 */
  index?: number;
  /** The row's company name. @example Acme */
  name?: string;
  /** What is wrong with the row. @example "email: invalid_format" */
  message: string;
}

export class OneShotResultDto {
  /** Rows written (created + updated). @example 2 */
  count: number;
  /** @example 1 */
  created: number;
  /** @example 1 */
  updated: number;
  /** Rows identical to their stored customer: not written, and not listed in `errors`. @example 0 */
  unchanged: number;
  /** The rows that were not written, and why. */
  errors: OneShotErrorDto[];
}

/** Every error of the one-shot import: `{error}`, or `{error, errors}` (API.md §5). */
export class OneShotFailureDto {
  /** @example "Import failed." */
  error: string;
  errors?: OneShotErrorDto[];
}

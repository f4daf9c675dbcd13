/** A problem of a courier import (API.md §6). */
export class CourierImportProblemDto {
  /** The record's number in the file (the header is row 1); absent for a problem of the request. @example 7 */
  row_number?: number;
  /** @example user_code */
  field: string | null;
  /** `required`, `too_long`, `duplicate_in_csv`, or why the row could not be written. @example duplicate_in_csv */
  message: string;
}

/** Why a courier import wrote nothing (API.md §6); also its 401, 403, 404, 409 and 413. */
export class CourierImportErrorDto {
  /** @example error */
  status: 'error';
  /** @example "the file has 1 invalid row; nothing was written" */
  message: string;
  /** Every problem found; empty when the request itself was refused. */
  errors: CourierImportProblemDto[];
}

export class CourierImportDataDto {
  /** Every data row imported: created, updated or unchanged. @example 4 */
  processed: number;
  /** @example 2 */
  created: number;
  /** @example 1 */
  updated: number;
  /** Rows identical to their stored customer: not written. @example 1 */
  unchanged: number;
  /** Row numbers of records with fewer than 3 columns, not imported. @example [5] */
  skipped_rows: number[];
}

export class CourierImportSuccessDto {
  /** @example success */
  status: 'success';
  /** @example "Successfully processed 4 records (Upsert complete)." */
  message: string;
  data: CourierImportDataDto;
}

export class CourierConfirmDto {
  /** The `import_id` answered by the courier validate. @example 3f0a1f3e-2b11-4c55-9f5c-6f1c1a528d2e */
  import_id: string;
}

import { applyDecorators } from '@nestjs/common';
import { ApiQuery, ApiResponse } from '@nestjs/swagger';
import { ApiAnswer, ApiEnvelope, ApiError } from '../common/decorators/api-docs.decorators';
import { ErrorBodyDto } from '../common/http/error-body.dto';
import { ConfirmResultDto, ConfirmStartedDto, ValidateResultDto } from './import.dto';
import { LEGACY_MESSAGE } from './workbook/workbook-messages';
import { XLSX_CONTENT_TYPE } from './workbook/workbook-writer';

const IMPORT_ID = '3f0a1f3e-2b11-4c55-9f5c-6f1c1a528d2e';

/** A validate answer's `data`: one valid row, one warning (the VAT exists), one error. */
/** 429 of a validate over the user's quota (README, Security). */
export const QUOTA_DESCRIPTION =
  'The user holds IMPORT_MAX_OPEN_SESSIONS validated imports not yet confirmed, or their IMPORT_MAX_STAGED_ROWS ' +
  'rows; nothing was staged. `Retry-After`: seconds until the first of them expires.';
export const QUOTA_MESSAGE =
  'you hold 10 validated imports that are not confirmed, the most one user may: confirm them, or retry when ' +
  'the first expires in 1234 s';

export const VALIDATE_EXAMPLE = {
  import_id: IMPORT_ID,
  total_rows: 3,
  valid_rows: 1,
  error_rows: 1,
  warning_rows: 1,
  unchanged_rows: 0,
  ambiguous_rows: 0,
  ignored_columns: [],
  rows: [
    {
      row_number: 2,
      status: 'valid',
      data: { company_name: 'Acme Office Supplies SRL', vat_number: 'IT01234567890', language: 'it' },
    },
    {
      row_number: 3,
      status: 'warning',
      data: { company_name: 'Rossi Trasporti SPA', vat_number: 'IT09876543210', language: 'en' },
      warnings: [{ field: 'vat_number', message: 'already_exists' }],
      changes: { language: { from: 'it', to: 'en' } },
    },
    {
      row_number: 4,
      status: 'error',
      data: {
        company_name: 'Bad Email Srl',
        vat_number: 'IT11111111111',
        email: 'not-an-email',
        language: 'it',
      },
      errors: [{ field: 'email', message: 'invalid_format' }],
    },
  ],
  rows_truncated: false,
};

/** The 400s of a file that cannot be imported at all, as a validate answers them. */
const FILE_REFUSED = {
  'missing columns': {
    summary: 'A required column is missing',
    value: {
      code: 400,
      message: 'missing required columns: vat_number. Expected columns: company_name, vat_number, …',
      data: { missing_columns: ['vat_number'], expected_columns: ['company_name', 'vat_number'] },
    },
  },
  empty: { summary: 'An empty file', value: { code: 400, message: 'file is empty', data: null } },
  'legacy workbook': {
    summary: 'A legacy .xls or a password-protected workbook',
    value: { code: 400, message: LEGACY_MESSAGE, data: null },
  },
  'unknown sheet': {
    summary: 'A workbook without the worksheet named in `sheet`',
    value: { code: 400, message: 'the workbook has no sheet "Clients": its sheets are "Sheet1"', data: null },
  },
  'no file': {
    summary: 'No file in the field "file"',
    value: { code: 400, message: 'file is required: upload a CSV in the field "file"', data: null },
  },
};

/** The Swagger answers of a validate → confirm import (API.md §4), for an entity's label. */
export function twoPhaseImportDocs(label: string, permission: string, templateHeader: string) {
  return {
    template: () =>
      applyDecorators(
        ApiQuery({
          name: 'format',
          required: false,
          enum: ['csv', 'xlsx'],
          description:
            '`csv` (default): the header line; `xlsx`: a workbook whose first row holds the columns',
        }),
        ApiResponse({
          status: 200,
          description: 'The header line of the CSV, or with `format=xlsx` a workbook holding the header row',
          content: {
            'text/csv': { schema: { type: 'string' }, example: `${templateHeader}\r\n` },
            [XLSX_CONTENT_TYPE]: {
              schema: { type: 'string', format: 'binary' },
              example: '(an .xlsx workbook: one worksheet whose first row holds the column names)',
            },
          },
        }),
        ApiError(400, 'An unknown format', 'format must be csv or xlsx'),
      ),
    validate: () =>
      applyDecorators(
        ApiValidateAnswer(`${label} import validated`, VALIDATE_EXAMPLE),
        ApiAnswer(400, {
          description: 'The file cannot be imported (the message says why); nothing was kept',
          schema: ErrorBodyDto,
          examples: FILE_REFUSED,
        }),
        ApiError(429, QUOTA_DESCRIPTION, QUOTA_MESSAGE, {
          retry_after_seconds: 1234,
          open_sessions: 10,
          staged_rows: 52000,
        }),
      ),
    confirm: () =>
      applyDecorators(
        ApiEnvelope(200, ConfirmResultDto, {
          description: 'Every row’s outcome: the four counters sum to `total_rows`',
          message: `${label} imported successfully`,
          example: {
            created: 1,
            updated: 1,
            skipped: 1,
            failed: 0,
            results: [
              { row_number: 2, status: 'created', id: '6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11' },
              { row_number: 3, status: 'updated', id: '0b8e6c2d-4f11-4c55-9f5c-3f0a1f3e2b11' },
              { row_number: 4, status: 'skipped', reason: 'error' },
            ],
            results_truncated: false,
          },
        }),
        ApiEnvelope(202, ConfirmStartedDto, {
          description: 'With `async: true`: started in the background',
          message: `${label} import started`,
        }),
        sessionRefused(permission),
      ),
  };
}

/** The answer of a validate (also the courier validate's: API.md §7). */
export const ApiValidateAnswer = (message: string, example: unknown) =>
  ApiEnvelope(200, ValidateResultDto, {
    description: 'Every row’s status, and the `import_id` to confirm',
    message,
    example,
  });

/** What a confirm answers for a session it cannot apply. */
const sessionRefused = (permission: string) =>
  applyDecorators(
    ApiAnswer(400, {
      description: 'Unknown or expired `import_id`, a session of another entity, or a malformed body',
      schema: ErrorBodyDto,
      example: {
        code: 400,
        message: 'import session not found or expired. please re-validate the CSV file',
        data: null,
      },
    }),
    ApiAnswer(403, {
      description: `Missing permission ${permission}, or the session is another user’s`,
      schema: ErrorBodyDto,
      examples: {
        permission: {
          summary: 'Missing permission',
          value: { code: 403, message: `missing permission: ${permission}`, data: null },
        },
        owner: {
          summary: 'Another user’s session',
          value: { code: 403, message: 'this import session belongs to another user', data: null },
        },
      },
    }),
    ApiError(409, 'The session is being, or was, confirmed', 'this import session was already confirmed', {
      import_id: IMPORT_ID,
    }),
  );

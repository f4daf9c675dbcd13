import { applyDecorators } from '@nestjs/common';
import { ApiAnswer } from '../common/decorators/api-docs.decorators';
import { ApiValidateAnswer, QUOTA_DESCRIPTION, QUOTA_MESSAGE } from '../import-session/import-docs';
import { CourierImportErrorDto, CourierImportSuccessDto } from './courier-import.dto';

const refused = (status: number, description: string, message: string) =>
  ApiAnswer(status, {
    description,
    schema: CourierImportErrorDto,
    example: { status: 'error', message, errors: [] },
  });

/**
 * The error answers of a courier import route, in the body of API.md §6 (`{status: "error", message,
 * errors}`), not the envelope: the courier import's exception filter answers every error so.
 */
export const courierErrorDocs = ({ upload }: { upload: boolean }) =>
  applyDecorators(
    ApiAnswer(400, {
      description: upload
        ? 'Invalid rows or a failed write (nothing was written), a missing target_courier_id, or a file refused'
        : 'Unknown or expired `import_id`, a session of another entity, invalid rows or a failed write',
      schema: CourierImportErrorDto,
      examples: {
        rows: {
          summary: 'Invalid rows: nothing was written',
          value: {
            status: 'error',
            message: 'the file has 1 invalid row; nothing was written',
            errors: [
              { row_number: 3, field: 'last_name', message: 'required' },
              { row_number: 3, field: 'user_code', message: 'duplicate_in_csv' },
            ],
          },
        },
        ...(upload
          ? {
              file: {
                summary: 'A file that cannot be read',
                value: { status: 'error', message: 'file is empty', errors: [] },
              },
              target: {
                summary: 'An admin or manager sent no target_courier_id',
                value: {
                  status: 'error',
                  message: 'target_courier_id is required for admin and manager users',
                  errors: [{ field: 'target_courier_id', message: 'required' }],
                },
              },
            }
          : {
              session: {
                summary: 'Unknown or expired import_id',
                value: {
                  status: 'error',
                  message: 'import session not found or expired. please re-validate the CSV file',
                  errors: [],
                },
              },
            }),
      },
    }),
    refused(401, 'No valid bearer token', 'missing, invalid or expired bearer token'),
    refused(403, 'Missing permission customer:add', 'missing permission: customer:add'),
    refused(404, 'Unknown courier (or another courier’s)', 'courier not found'),
    ...(upload
      ? [
          refused(
            413,
            'The file is larger than IMPORT_MAX_FILE_SIZE',
            'file is larger than the limit of 104857600 bytes',
          ),
          refused(
            415,
            'The body is not multipart/form-data',
            'send the CSV as multipart/form-data with the file in the field "file"',
          ),
        ]
      : [
          refused(
            409,
            'The session is being, or was, confirmed',
            'this import session was already confirmed',
          ),
        ]),
  );

/** The success answer of the courier import and of its confirm (API.md §6). */
export const courierSuccessDoc = (example: CourierImportSuccessDto) =>
  ApiAnswer(200, {
    description: 'Every row was written, in one transaction',
    schema: CourierImportSuccessDto,
    example,
  });

/** The courier validate: answers like the validate of API.md §4, with the courier rows (§7). */
export const courierValidateDocs = () =>
  applyDecorators(refused(429, QUOTA_DESCRIPTION, QUOTA_MESSAGE), courierValidateAnswer());

const courierValidateAnswer = () =>
  ApiValidateAnswer('courier customer import validated', {
    import_id: '3f0a1f3e-2b11-4c55-9f5c-6f1c1a528d2e',
    total_rows: 3,
    valid_rows: 2,
    error_rows: 1,
    warning_rows: 0,
    unchanged_rows: 0,
    ambiguous_rows: 0,
    ignored_columns: [],
    rows: [
      {
        row_number: 2,
        status: 'valid',
        data: { user_code: 'C-10001', first_name: 'Maria', last_name: 'Rossi', branch: 'Milano Nord' },
      },
      {
        row_number: 3,
        status: 'valid',
        data: { user_code: 'C-10002', first_name: 'Luca', last_name: 'Bianchi', branch: null },
      },
      {
        row_number: 4,
        status: 'error',
        data: { user_code: 'C-10001', first_name: 'Giulia', last_name: '', branch: null },
        errors: [
          { field: 'last_name', message: 'required' },
          { field: 'user_code', message: 'duplicate_in_csv', values: ['C-10001', '2'] },
        ],
      },
    ],
    rows_truncated: false,
    skipped_rows: [5],
  });

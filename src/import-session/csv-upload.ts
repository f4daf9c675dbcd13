import {
  applyDecorators,
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ApiBody, ApiConsumes } from '@nestjs/swagger';
import { Request, Response } from 'express';
import multer, { MulterError } from 'multer';
import { unlink } from 'node:fs';
import { Observable } from 'rxjs';
import { ApiError } from '../common/decorators/api-docs.decorators';
import { ApiException } from '../common/http/api.exception';
import { closedBeforeAnswer } from '../common/http/answer-signal';
import { APP_CONFIG, AppConfig } from '../config/config';
import { CsvSource } from './csv';
import { UploadSpool } from './upload-spool';
import { SpoolOrMemoryStorage } from './upload-storage';

/**
 * An uploaded CSV or XLSX file: a small CSV in memory, anything else spooled to a temporary file (deleted
 * when the answer is sent). The readers answer the same document either way.
 */
export type CsvUploadFile = CsvSource & {
  fileName: string;
  /** The text fields sent with the file. */
  fields: Record<string, string>;
  /** Aborted when the client goes away before its answer. */
  signal: AbortSignal;
};

const FIELD = 'file';

/** A request being uploaded: the temporary files multer created for it, and whether its answer was sent. */
type UploadRequest = Request & { csv?: CsvUploadFile; spooled?: string[]; answered?: boolean };

function multerError(error: MulterError, maxBytes: number): ApiException {
  switch (error.code) {
    case 'LIMIT_FILE_SIZE':
      return new ApiException(
        HttpStatus.PAYLOAD_TOO_LARGE,
        `file is larger than the limit of ${maxBytes} bytes`,
      );
    case 'LIMIT_UNEXPECTED_FILE':
      return new ApiException(
        HttpStatus.BAD_REQUEST,
        `unexpected file field "${error.field ?? ''}": upload one CSV file in the field "${FIELD}"`,
      );
    case 'LIMIT_FILE_COUNT':
      return new ApiException(HttpStatus.BAD_REQUEST, `upload exactly one file, in the field "${FIELD}"`);
    case 'LIMIT_FIELD_VALUE':
    case 'LIMIT_FIELD_KEY':
    case 'LIMIT_FIELD_COUNT':
    case 'LIMIT_PART_COUNT':
      return new ApiException(HttpStatus.BAD_REQUEST, 'too many or too large form fields');
    default:
      return new ApiException(HttpStatus.BAD_REQUEST, 'the multipart body cannot be read');
  }
}

/**
 * Receives one CSV or XLSX file in the multipart field `file`: a CSV of at most `IMPORT_MEMORY_UPLOAD_MAX`
 * bytes is kept in memory, anything larger (or any workbook) is streamed to a temporary file. Bodies over
 * the size limit are refused with 413 from their Content-Length, before they are read, or as soon as the
 * limit is crossed.
 */
@Injectable()
export class CsvUploadInterceptor implements NestInterceptor {
  private readonly upload: ReturnType<ReturnType<typeof multer>['single']>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    spool: UploadSpool,
  ) {
    this.upload = multer({
      // Each temporary file is recorded on its request and deleted once the answer is sent, whatever
      // happened (multer leaves a partial file behind when a client disconnects after the size limit).
      storage: new SpoolOrMemoryStorage(config.import.memoryUploadBytes, (req) => {
        const upload = req as UploadRequest;
        if (upload.answered) throw new Error('the answer was already sent');
        const { path } = spool.create();
        (upload.spooled ??= []).push(path);
        return path;
      }),
      limits: { fileSize: config.import.maxFileBytes, files: 1, fields: 20, fieldSize: 4096, parts: 25 },
    }).single(FIELD);
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<UploadRequest>();
    const res = http.getResponse<Response>();
    const max = this.config.import.maxFileBytes;
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (!type.startsWith('multipart/form-data')) {
      throw new ApiException(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        `send the CSV as multipart/form-data with the file in the field "${FIELD}"`,
      );
    }
    if (Number(req.headers['content-length'] ?? 0) > max + 64 * 1024) {
      res.setHeader('Connection', 'close');
      throw new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, `file is larger than the limit of ${max} bytes`);
    }
    res.on('close', () => {
      req.answered = true;
      for (const path of req.spooled ?? []) unlink(path, () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      // multer reports a file over the limit only once the rest of the body has arrived (it drains it first):
      // count the bytes as they come, and refuse a body without Content-Length as soon as it is too large.
      let received = 0;
      const count = (chunk: Buffer) => {
        received += chunk.length;
        if (received <= max + 64 * 1024) return;
        req.off('data', count);
        res.setHeader('Connection', 'close');
        reject(
          new ApiException(HttpStatus.PAYLOAD_TOO_LARGE, `file is larger than the limit of ${max} bytes`),
        );
      };
      this.upload(req, res, (error: unknown) => {
        req.off('data', count);
        if (!error) return resolve();
        if (error instanceof MulterError) {
          if (error.code === 'LIMIT_FILE_SIZE') res.setHeader('Connection', 'close');
          return reject(multerError(error, max));
        }
        reject(new ApiException(HttpStatus.BAD_REQUEST, 'the multipart body cannot be read'));
      });
      req.on('data', count);
    });
    const file = req.file;
    if (!file)
      throw new ApiException(
        HttpStatus.BAD_REQUEST,
        `file is required: upload a CSV in the field "${FIELD}"`,
      );
    const source: CsvSource = file.path ? { path: file.path } : { buffer: file.buffer };
    req.csv = {
      ...source,
      fileName: file.originalname,
      fields: (req.body ?? {}) as Record<string, string>,
      signal: closedBeforeAnswer(res),
    };
    return next.handle();
  }
}

/** The uploaded CSV of a route decorated with {@link CsvUpload}. */
export const UploadedCsv = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): CsvUploadFile =>
    ctx.switchToHttp().getRequest<Request & { csv: CsvUploadFile }>().csv,
);

/**
 * An optional text field sent with the file. Its `example` is what Swagger UI puts in the field: without one
 * it fills in the word "string" and sends it. An empty value is read as not given.
 */
export interface UploadField {
  type: 'string';
  description: string;
  format?: string;
  example: string;
}

/** The worksheet of a workbook to read, on every file endpoint (API.md §11). */
export const SHEET_FIELD: Record<string, UploadField> = {
  sheet: {
    type: 'string',
    description:
      'XLSX only: the worksheet to read, by name or 1-based position. Empty: the first worksheet. Ignored for a CSV.',
    example: '',
  },
};

/**
 * A multipart upload route (a CSV or an `.xlsx` workbook, told apart by content): the interceptor plus its
 * Swagger description, with the optional `sheet` field of workbooks. The file is `format: binary`,
 * so that Swagger UI shows a file picker, not a text box; 413 and 415 answer in the envelope unless the route
 * documents its own bodies.
 */
export const CsvUpload = (extraFields: Record<string, UploadField> = {}) =>
  applyDecorators(
    UseInterceptors(CsvUploadInterceptor),
    ApiConsumes('multipart/form-data'),
    ApiBody({
      schema: {
        type: 'object',
        required: [FIELD],
        properties: {
          [FIELD]: {
            type: 'string',
            format: 'binary',
            description: 'The CSV or XLSX file (an .xlsx workbook is recognised by its content)',
          },
          ...extraFields,
          ...SHEET_FIELD,
        },
      },
    }),
    ApiError(
      413,
      'The file is larger than IMPORT_MAX_FILE_SIZE',
      'file is larger than the limit of 104857600 bytes',
      null,
      { fallback: true },
    ),
    ApiError(
      415,
      'The body is not multipart/form-data',
      `send the CSV as multipart/form-data with the file in the field "${FIELD}"`,
      null,
      { fallback: true },
    ),
  );

export const DELIMITER_FIELD: Record<string, UploadField> = {
  delimiter: {
    type: 'string',
    description:
      'CSV only: overrides the detected delimiter: `,` `;` `|` or `tab`. Empty: detected from the header.',
    example: '',
  },
};

import { Controller, Get, Param, ParseUUIDPipe, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { PassThrough } from 'node:stream';
import { AuthUser } from '../auth/permissions';
import {
  ApiAnswer,
  ApiEnvelope,
  ApiError,
  ApiInvalidId,
  ApiValidationError,
} from '../common/decorators/api-docs.decorators';
import { Authenticated, CurrentUser } from '../common/decorators/auth.decorators';
import { envelope, Envelope } from '../common/http/envelope';
import { writeErrorsCsv } from './errors-csv';
import { writeErrorsXlsx } from './errors-xlsx';
import { historyItem } from './import-history';
import { ImportHistoryRepository } from './import-history.repository';
import { ImportReadsService } from './import-reads.service';
import { ImportRowView, SessionView } from './import-session.types';
import { ImportRowDto, ImportRowsQueryDto, SessionViewDto } from './import.dto';
import { XLSX_CONTENT_TYPE } from './workbook/workbook-writer';

@ApiTags('imports')
@Controller('imports')
@Authenticated()
@ApiError(404, 'No such session, or it belongs to another user', 'import session not found')
@ApiInvalidId()
export class ImportsController {
  constructor(
    private readonly reads: ImportReadsService,
    private readonly history: ImportHistoryRepository,
  ) {}

  /** A session's status, counters, progress and, once completed, the confirm counters. */
  @Get(':id')
  @ApiEnvelope(200, SessionViewDto, { description: 'The session', message: 'ok' })
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<Envelope<SessionView & Record<string, unknown>>> {
    const session = await this.reads.readable(user, id);
    const email = await this.history.ownerEmail(session.owner_id);
    return envelope({ ...historyItem(session, email), ...this.reads.view(session) });
  }

  /** The session's rows with their statuses and outcomes, paged. */
  @Get(':id/rows')
  @ApiEnvelope(200, ImportRowDto, { description: 'A page of rows, by row number', message: 'ok', page: true })
  @ApiValidationError(
    'status',
    'status must be one of the following values: valid, warning, ambiguous, error',
  )
  async rows(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ImportRowsQueryDto,
  ): Promise<Envelope<{ items: ImportRowView[]; total: number; offset: number; limit: number }>> {
    const session = await this.reads.readable(user, id);
    return envelope(await this.reads.rows(session, query));
  }

  /** The rows to fix (original columns plus `errors`), ready to correct and upload again. */
  @Get(':id/errors.csv')
  @ApiAnswer(200, {
    description:
      "A CSV download (`Content-Disposition: attachment`); cells that start a formula begin with `'`",
    schema: { type: 'string' },
    mediaType: 'text/csv',
    example:
      '"company_name","vat_number","email","city","language","errors"\r\n' +
      '"Bad Email Srl","IT11111111111","not-an-email","Roma","it","email: invalid_format"\r\n',
  })
  async errorsCsv(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const session = await this.reads.readable(user, id);
    // Set here, once the session is readable: an error answer (404) stays JSON, not a "CSV" of JSON.
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="import-${id}-errors.csv"`);
    const out = new PassThrough();
    writeErrorsCsv(session.header, this.reads.errorRows(session), out).catch((error: unknown) =>
      out.destroy(error as Error),
    );
    return new StreamableFile(out);
  }

  /** The rows to fix as an `.xlsx` workbook: the same columns as errors.csv, every cell a string. */
  @Get(':id/errors.xlsx')
  @ApiAnswer(200, {
    description:
      'An .xlsx download (`Content-Disposition: attachment`): one worksheet, the original columns plus `errors`; ' +
      'every cell is a string, never a formula',
    schema: { type: 'string', format: 'binary' },
    mediaType: XLSX_CONTENT_TYPE,
    example: '(an .xlsx workbook: the header row plus errors, then one row per row to fix)',
  })
  async errorsXlsx(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const session = await this.reads.readable(user, id);
    res.setHeader('Content-Type', XLSX_CONTENT_TYPE);
    res.setHeader('Content-Disposition', `attachment; filename="import-${id}-errors.xlsx"`);
    const out = new PassThrough();
    writeErrorsXlsx(session.header, this.reads.errorRows(session), out).catch((error: unknown) =>
      out.destroy(error as Error),
    );
    return new StreamableFile(out);
  }
}

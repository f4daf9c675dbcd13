import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthUser } from '../auth/permissions';
import { ApiException, RawBodyException } from '../common/http/api.exception';
import { describeErrors } from '../import-session/errors-csv';
import { TransactionRolledBackError } from '../import-session/import-apply';
import { ImportSessionService } from '../import-session/import-session.service';
import { CustomersImportDefinition } from './customers-import.definition';
import { OneShotErrorDto, OneShotResultDto } from './one-shot-import.dto';

const FAILED = 'Import failed.';

/**
 * The one-shot customers import (API.md §5): the same columns and rules as the two-phase import, through
 * the same core (a session is staged and confirmed at once), but applied in ONE transaction: valid and
 * warning rows are created or updated by VAT, error and ambiguous rows are listed and not written.
 */
@Injectable()
export class OneShotImportService {
  private readonly logger = new Logger(OneShotImportService.name);

  constructor(
    private readonly sessions: ImportSessionService,
    private readonly definition: CustomersImportDefinition,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async import(user: AuthUser, content: unknown): Promise<OneShotResultDto> {
    if (typeof content !== 'string' || content.trim() === '') {
      throw new RawBodyException(HttpStatus.BAD_REQUEST, {
        error: 'content must be a non-empty string of CSV text',
      });
    }
    let importId: string;
    try {
      importId = (
        await this.sessions.validate(
          this.definition,
          user,
          { buffer: Buffer.from(content, 'utf8') },
          undefined,
        )
      ).import_id;
    } catch (error) {
      if (error instanceof ApiException && error.getStatus() < 500) {
        throw new RawBodyException(error.getStatus() === 413 ? 413 : HttpStatus.BAD_REQUEST, {
          error: FAILED,
          errors: [{ message: error.message }],
        });
      }
      throw error;
    }
    let result;
    try {
      result = await this.sessions.confirmTransactional(this.definition, user, importId, {
        override: true,
        resolutions: {},
      });
    } catch (error) {
      const errors =
        error instanceof TransactionRolledBackError
          ? await this.describe(
              importId,
              error.failures.map((f) => f.row_number),
              error.failures,
            )
          : [];
      this.logger.error({ importId, err: error }, 'one-shot import rolled back');
      throw new RawBodyException(HttpStatus.INTERNAL_SERVER_ERROR, {
        error: 'Import failed while writing customers; nothing was written.',
        errors,
      });
    }
    const notWritten: { row_number: number }[] = await this.dataSource.query(
      `SELECT row_number FROM import_rows WHERE session_id = $1 AND outcome NOT IN ('created', 'updated')
       ORDER BY row_number LIMIT 10000`,
      [importId],
    );
    const errors = await this.describe(
      importId,
      notWritten.map((r) => r.row_number),
    );
    const count = result.created + result.updated;
    if (count === 0 && errors.length > 0) {
      throw new RawBodyException(HttpStatus.BAD_REQUEST, { error: FAILED, errors });
    }
    return { count, created: result.created, updated: result.updated, errors };
  }

  private async describe(
    importId: string,
    rowNumbers: number[],
    failures: { row_number: number; error: string }[] = [],
  ): Promise<OneShotErrorDto[]> {
    const rows: {
      row_number: number;
      data: { company_name?: string | null };
      errors: unknown[] | null;
      reason: string | null;
      error: string | null;
    }[] = await this.dataSource.query(
      `SELECT row_number, data, errors, reason, error FROM import_rows
         WHERE session_id = $1 AND row_number = ANY($2) ORDER BY row_number`,
      [importId, rowNumbers],
    );
    const failed = new Map(failures.map((f) => [f.row_number, f.error]));
    return rows.map((row) => ({
      index: row.row_number - 2,
      name: row.data.company_name ?? '',
      message:
        failed.get(row.row_number) ??
        (row.errors ? describeErrors(row.errors) : (row.error ?? row.reason ?? 'not imported')),
    }));
  }
}

import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { AuthUser } from '../auth/permissions';
import { RawBodyException } from '../common/http/api.exception';
import { describeErrors } from '../import-session/errors-csv';
import { ImportReadsService } from '../import-session/import-reads.service';
import { ImportSessionRepository } from '../import-session/import-session.repository';
import { ImportSessionService, UPSERT } from '../import-session/import-session.service';
import { ContentField } from './content-field-reader';
import { CustomersImportDefinition } from './customers-import.definition';
import { OneShotErrorDto, OneShotResultDto } from './one-shot-import.dto';

export const FAILED = 'Import failed.';

/** Nothing was written: the rows that could not be, when the failure was theirs. */
const rolledBack = (errors: OneShotErrorDto[]) =>
  new RawBodyException(HttpStatus.INTERNAL_SERVER_ERROR, {
    error: 'Import failed while writing customers; nothing was written.',
    errors,
  });

/** At most this many rows that were not written are listed. */
const MAX_LISTED = 10_000;

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
    private readonly store: ImportSessionRepository,
    private readonly reads: ImportReadsService,
    private readonly definition: CustomersImportDefinition,
  ) {}

  async import(user: AuthUser, content: ContentField): Promise<OneShotResultDto> {
    if (content.kind !== 'text' || content.blank) {
      throw new RawBodyException(HttpStatus.BAD_REQUEST, {
        error: 'content must be a non-empty string of CSV text',
      });
    }
    // A file refused as a whole (an ImportException) is answered by the one-shot exception filter.
    const { import_id: importId } = await this.sessions.stage(
      this.definition,
      user,
      { path: content.path, signal: content.signal },
      { csvOnly: true },
      {},
      'one_shot',
    );
    const applied = await this.sessions
      .confirmAllOrNothing(this.definition, user, importId, UPSERT)
      .catch((error: unknown) => {
        this.logger.error({ importId, err: error }, 'one-shot import rolled back');
        throw rolledBack([]);
      });
    if (!applied.written) {
      this.logger.error({ importId, failures: applied.failures.length }, 'one-shot import rolled back');
      const failed = applied.failures.map((f) => f.row_number);
      throw rolledBack(await this.describe(importId, failed, applied.failures));
    }
    const { session } = applied;
    const created = session.created_rows;
    const updated = session.updated_rows;
    const count = created + updated;
    // With every row written, no row is unchanged or left out: nothing more to read.
    if (count === session.total_rows) return { count, created, updated, unchanged: 0, errors: [] };
    const notWritten = await this.reads.outcomeRows(
      session,
      { notWritten: true, changedOnly: true },
      0,
      MAX_LISTED,
    );
    const errors = this.describeRows(notWritten);
    const unchanged = await this.reads.unchangedCount(session);
    if (count + unchanged === 0 && errors.length > 0) {
      throw new RawBodyException(HttpStatus.BAD_REQUEST, { error: FAILED, errors });
    }
    return { count, created, updated, unchanged, errors };
  }

  private async describe(
    importId: string,
    rowNumbers: number[],
    failures: { row_number: number; error: string }[] = [],
  ): Promise<OneShotErrorDto[]> {
    const session = await this.store.find(importId);
    if (!session) return [];
    const rows = await this.reads.outcomeRows(session, { rowNumbers }, 0, rowNumbers.length);
    return this.describeRows(rows, new Map(failures.map((f) => [f.row_number, f.error])));
  }

  private describeRows(
    rows: {
      row_number: number;
      data: Record<string, unknown>;
      errors?: unknown[] | null;
      reason?: string | null;
      error?: string | null;
    }[],
    failed = new Map<number, string>(),
  ): OneShotErrorDto[] {
    return rows.map((row) => ({
      index: row.row_number - 2,
      name: typeof row.data.company_name === 'string' ? row.data.company_name : '',
      message:
        failed.get(row.row_number) ??
        (row.errors ? describeErrors(row.errors) : (row.error ?? row.reason ?? 'not imported')),
    }));
  }
}

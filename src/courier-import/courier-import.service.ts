import { HttpStatus, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuthUser } from '../auth/permissions';
import { RawBodyException } from '../common/http/api.exception';
import { CsvUploadFile } from '../import-session/csv-upload';
import { ImportReadsService } from '../import-session/import-reads.service';
import { ImportSessionRepository } from '../import-session/import-session.repository';
import { AllOrNothing, ImportSessionService, UPSERT } from '../import-session/import-session.service';
import { ValidateResult } from '../import-session/import-session.types';
import { CourierImportDefinition } from './courier-import.definition';
import { CourierImportSuccessDto } from './courier-import.dto';

/** At most this many problems are listed in one answer. */
const MAX_PROBLEMS = 10_000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The courier customers import (API.md §6) on the shared core: the file is staged as a session, then applied
 * with the transactional strategy (all rows or none), directly or after a preview.
 */
@Injectable()
export class CourierImportService {
  constructor(
    private readonly sessions: ImportSessionService,
    private readonly store: ImportSessionRepository,
    private readonly reads: ImportReadsService,
    private readonly definition: CourierImportDefinition,
  ) {}

  /** Stages a file for the courier, to preview it (answers like a §4 validate). */
  validate(user: AuthUser, courierId: string, file: CsvUploadFile): Promise<ValidateResult> {
    return this.sessions.validate(
      this.definition,
      user,
      file,
      { sheet: file.fields.sheet },
      { courier_id: courierId },
    );
  }

  /**
   * `POST /api/courier-customers/import`: stage and apply in one transaction; a refused file leaves nothing,
   * not even its session.
   */
  async import(user: AuthUser, courierId: string, file: CsvUploadFile): Promise<CourierImportSuccessDto> {
    const applied = await this.sessions.stageAndApply(
      this.definition,
      user,
      file,
      { sheet: file.fields.sheet },
      { courier_id: courierId },
      UPSERT,
      (manager, importId) => this.refuseInvalidRows(importId, manager),
    );
    return this.answer(applied);
  }

  /** Applies a previewed session in one transaction. */
  async confirm(user: AuthUser, importId: string): Promise<CourierImportSuccessDto> {
    await this.sessions.assertConfirmable(this.definition, user, importId);
    await this.refuseInvalidRows(importId);
    return this.apply(user, importId);
  }

  private async apply(user: AuthUser, importId: string): Promise<CourierImportSuccessDto> {
    return this.answer(await this.sessions.confirmAllOrNothing(this.definition, user, importId, UPSERT));
  }

  private async answer(applied: AllOrNothing): Promise<CourierImportSuccessDto> {
    if (!applied.written) {
      throw new RawBodyException(HttpStatus.BAD_REQUEST, {
        status: 'error',
        message: `${plural(applied.failures.length, 'row')} could not be written; nothing was written`,
        errors: applied.failures.map((f) => ({ row_number: f.row_number, field: null, message: f.error })),
      });
    }
    const { session } = applied;
    const written = session.created_rows + session.updated_rows;
    // Without invalid, ambiguous or failed rows, an upsert leaves a row unchanged or writes it.
    const unchanged =
      session.error_rows === 0 && session.ambiguous_rows === 0 && session.failed_rows === 0
        ? session.total_rows - written
        : await this.reads.unchangedCount(session);
    const processed = session.created_rows + session.updated_rows + unchanged;
    return {
      status: 'success',
      message: `Successfully processed ${processed} records (Upsert complete).`,
      data: {
        processed,
        created: session.created_rows,
        updated: session.updated_rows,
        unchanged,
        skipped_rows: session.dropped_rows,
      },
    };
  }

  /** Any invalid row refuses the whole file, listing every problem with its row and field. */
  private async refuseInvalidRows(importId: string, manager?: EntityManager): Promise<void> {
    const { problems, rows } = await this.reads.rowProblems(importId, MAX_PROBLEMS + 1, manager);
    if (problems.length === 0) return;
    const shown = problems.length > MAX_PROBLEMS ? ` (the first ${MAX_PROBLEMS} problems are listed)` : '';
    throw new RawBodyException(HttpStatus.BAD_REQUEST, {
      status: 'error',
      message: `the file has ${plural(rows, 'invalid row')}; nothing was written${shown}`,
      errors: problems.slice(0, MAX_PROBLEMS),
    });
  }
}

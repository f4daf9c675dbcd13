import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser } from '../auth/permissions';
import { APP_CONFIG, AppConfig } from '../config/config';
import { ImportDefinitions } from './import-definitions';
import { ImportHistoryRepository, RevertResult } from './import-history.repository';
import { ImportMaintenanceService } from './import-maintenance.service';
import { ImportReadsService } from './import-reads.service';
import { revertImport } from './import-revert';
import { RevertCounts, SessionRecord } from './import-session.types';
import { ImportWorkLimiter } from './import-work-limiter';
import { ImportException, ImportExceptionCode } from './import.exception';

/** The answer of a revert (API.md §10). */
export interface RevertAnswer extends RevertCounts {
  results: RevertResult[];
}

/** A dry run is a revert rolled back at the end: its answer is carried out of the transaction by this. */
class DryRun extends Error {
  constructor(readonly answer: RevertAnswer) {
    super('dry run');
  }
}

/** Why an import cannot be reverted, by its status. */
const NOT_REVERTIBLE: Record<string, string> = {
  validated: 'the import was validated but never confirmed',
  confirming: 'the import is being confirmed',
  expired: 'the import expired without being confirmed',
  failed: 'the import failed',
  reverting: 'the import is being reverted',
  reverted: 'the import was reverted already',
};

/**
 * Undo of an import: claimed at most once (a second revert gets 409), then applied in one transaction that
 * holds the claim, so a revert cut off by a crash left nothing and the next one does it all, touching no
 * record twice.
 */
@Injectable()
export class ImportRevertService {
  private readonly logger = new Logger('ImportRevert');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reads: ImportReadsService,
    private readonly history: ImportHistoryRepository,
    private readonly definitions: ImportDefinitions,
    private readonly maintenance: ImportMaintenanceService,
    private readonly limiter: ImportWorkLimiter,
  ) {}

  /** `POST /api/imports/{id}/revert`: answers the result, or nothing when it goes on in the background. */
  async revert(
    user: AuthUser,
    importId: string,
    options: { dryRun: boolean; async: boolean },
  ): Promise<RevertAnswer | undefined> {
    const session = await this.reads.readable(user, importId);
    const refuse = (status: string) =>
      new ImportException(
        ImportExceptionCode.NOT_REVERTIBLE,
        `import cannot be reverted: ${NOT_REVERTIBLE[status] ?? status}`,
      );
    const status = session.expired ? 'expired' : session.status;
    if (options.dryRun) {
      if (status !== 'completed') throw refuse(status);
      return this.dryRun(session);
    }
    const token = randomUUID();
    if (!(await this.history.claim(importId, token))) {
      const now = await this.reads.readable(user, importId);
      const lapsed = now.status === 'reverting' && now.revert_lease_until !== null;
      throw refuse(lapsed || now.status !== 'completed' ? now.status : status);
    }
    const run = this.apply(session, token);
    if (options.async) {
      this.maintenance.inBackground(
        run.catch((error: unknown) =>
          this.logger.warn({ importId, err: String(error) }, 'revert failed; the next one finishes it'),
        ),
      );
      return undefined;
    }
    return run;
  }

  private async apply(session: SessionRecord, token: string): Promise<RevertAnswer> {
    try {
      return await this.limiter.run(() =>
        this.dataSource.transaction(async (manager) => {
          if (!(await this.history.hold(manager, session.id, token))) {
            throw new ImportException(
              ImportExceptionCode.CLAIM_LOST,
              'import is being reverted by another request',
            );
          }
          const answer = await this.run(manager, session);
          await this.history.complete(manager, session.id, answer);
          return answer;
        }),
      );
    } catch (error) {
      await this.history.release(session.id, token);
      throw error;
    }
  }

  private async dryRun(session: SessionRecord): Promise<RevertAnswer> {
    try {
      await this.limiter.run(() =>
        this.dataSource.transaction(async (manager) => {
          throw new DryRun(await this.run(manager, session));
        }),
      );
    } catch (error) {
      if (error instanceof DryRun) return error.answer;
      throw error;
    }
    throw new Error('unreachable');
  }

  private async run(manager: EntityManager, session: SessionRecord): Promise<RevertAnswer> {
    const spec = this.definitions.get(session.entity).revert;
    await manager.query(`DELETE FROM import_revert_results WHERE import_id = $1`, [session.id]);
    await revertImport(manager, spec, session.id);
    const counts = await this.history.counts(manager, session.id);
    const results = await this.history.results(manager, session.id, this.config.import.responseRows);
    return { ...counts, results };
  }
}

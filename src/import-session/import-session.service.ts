import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser } from '../auth/permissions';
import { APP_CONFIG, AppConfig } from '../config/config';
import { PerRowApplier } from './import-apply';
import { rolledBackFailures, RowFailure, TransactionalApplier } from './import-apply-transactional';
import { Claim, ImportClaims } from './import-claims';
import { ConfirmOptions, ImportContext, ImportDefinition } from './import-definition';
import { isFatalForConfirm, isPoolBusy, LeaseLostError } from './import-errors';
import { ImportMaintenanceService } from './import-maintenance.service';
import { StoredOptions } from './import-outcomes';
import { ImportReadsService } from './import-reads.service';
import { clientGone, stagingBudget, stopIfGone, UNLIMITED } from './import-quota';
import { ImportSessionRepository } from './import-session.repository';
import { ConfirmResult, SessionRecord, StagedSession, ValidateResult } from './import-session.types';
import { ANALYZE_ABOVE_ROWS, FileChoices, ImportSource, ImportStager, readError } from './import-stager';
import { ImportWorkLimiter } from './import-work-limiter';
import { ImportException, ImportExceptionCode } from './import.exception';

/**
 * How many times a confirm waits again for a free connection of its saturated pool (each wait lasts the pool's
 * connection timeout) before it gives up as if the database were down.
 */
const POOL_BUSY_ATTEMPTS = 20;

/** A direct import applied whole could not write a row: it is applied again, batch by batch. */
class ApplyWholeFailed extends Error {
  constructor(override readonly cause: unknown) {
    super('the import could not be applied whole');
  }
}

/** What an all-or-nothing confirm did: every row written, or none, and then the rows that could not be. */
export type AllOrNothing =
  { written: true; session: SessionRecord } | { written: false; failures: RowFailure[] };

/** The options of an all-or-nothing upsert: rows whose key exists update their record. */
export const UPSERT: ConfirmOptions = { override: true, resolutions: {} };

/**
 * The validate and confirm of every import: validate reads, checks, stages and analyses a file; confirm
 * claims a session and applies it with the endpoint's strategy. Sessions are stored by the
 * {@link ImportSessionRepository} and read by the {@link ImportReadsService}.
 */
@Injectable()
export class ImportSessionService {
  private readonly logger = new Logger(ImportSessionService.name);
  private readonly stager: ImportStager;
  private readonly perRow: PerRowApplier;
  private readonly transactional: TransactionalApplier;
  private readonly claims: ImportClaims;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly store: ImportSessionRepository,
    private readonly reads: ImportReadsService,
    private readonly maintenance: ImportMaintenanceService,
    /** Staging, confirm batches and statistics share part of the pool; the rest serves other requests. */
    private readonly limiter: ImportWorkLimiter,
  ) {
    const settings = {
      batchSize: config.import.batchSize,
      leaseMs: config.import.confirmLeaseMs,
      sessionTtlMs: config.import.sessionTtlMs,
      workers: config.import.confirmWorkers,
      limiter,
    };
    this.stager = new ImportStager(config, store);
    this.perRow = new PerRowApplier(dataSource, settings);
    this.transactional = new TransactionalApplier(dataSource, settings);
    this.claims = new ImportClaims(store, reads);
  }

  // ---------------------------------------------------------------------------------------------------- validate

  /** Reads, checks and stages a file, and answers its rows; nothing is written outside the session. */
  async validate(
    definition: ImportDefinition,
    user: AuthUser,
    source: ImportSource,
    choices: FileChoices,
    context: ImportContext = {},
  ): Promise<ValidateResult> {
    const { session } = await this.stage(definition, user, source, choices, context, 'session');
    return this.reads.validateResult(definition, session);
  }

  /**
   * Reads, checks and stages a file; answers the session's id and counts. The imports that confirm at once
   * (`direct`, `one_shot`) need no more than that.
   */
  async stage(
    definition: ImportDefinition,
    user: AuthUser,
    source: ImportSource,
    choices: FileChoices,
    context: ImportContext,
    kind: 'session' | 'direct' | 'one_shot',
  ): Promise<StagedSession & { session: SessionRecord }> {
    // Only a session stays open once validated: the other imports are confirmed at once.
    const budget =
      kind === 'session' ? await stagingBudget(this.store.prepared, user.id, this.config.import) : UNLIMITED;
    const opened = await this.stager.open(definition, source, choices).catch(readError);
    const { staged, session } = await this.limiter
      .run(() =>
        this.dataSource.transaction((manager) =>
          this.stager.stage(manager, definition, user, opened, context, kind, budget),
        ),
      )
      .catch(readError);
    await this.discardIfGone(staged.import_id, source.signal);
    return { ...staged, session };
  }

  /**
   * Stages a file and applies it at once, all or nothing, in ONE transaction (a direct import): the session
   * is created claimed by this confirm, so nothing else can see or claim it before it is completed, and
   * nothing is left of it, rows or record, when the import is refused or fails. A file with invalid rows is
   * handed to `refuse`, in the transaction, which throws to refuse it. The rows are applied set-based
   * without savepoints; when one cannot be written, the whole import is staged and applied again with a
   * savepoint per batch, to name the rows that cannot be written (and nothing is written).
   */
  async stageAndApply(
    definition: ImportDefinition,
    user: AuthUser,
    source: ImportSource,
    choices: FileChoices,
    context: ImportContext,
    requested: ConfirmOptions,
    refuse: (manager: EntityManager, importId: string) => Promise<void>,
  ): Promise<AllOrNothing> {
    // Nothing is staged yet to resolve: a direct import has no ambiguous row to choose for.
    const options: StoredOptions = { override: requested.override, resolutions: {} };
    const once = (careful: boolean) =>
      this.stageAndApplyOnce(definition, user, source, choices, context, options, refuse, careful);
    try {
      const completed = await once(false).catch((error: unknown) => {
        if (!(error instanceof ApplyWholeFailed)) throw error;
        this.logger.warn({ err: String(error.cause) }, 'direct import failed, applying it batch by batch');
        return once(true);
      });
      this.maintenance.refreshStatistics(definition, completed);
      return { written: true, session: completed };
    } catch (error) {
      const failures = rolledBackFailures(error);
      if (failures) return { written: false, failures };
      return readError(error);
    }
  }

  private async stageAndApplyOnce(
    definition: ImportDefinition,
    user: AuthUser,
    source: ImportSource,
    choices: FileChoices,
    context: ImportContext,
    options: StoredOptions,
    refuse: (manager: EntityManager, importId: string) => Promise<void>,
    careful: boolean,
  ): Promise<SessionRecord> {
    const opened = await this.stager.open(definition, source, choices);
    const token = randomUUID();
    const claim = { token, options };
    return this.limiter.run(() =>
      this.dataSource.transaction(async (manager) => {
        const { staged, session } = await this.stager.stage(
          manager,
          definition,
          user,
          opened,
          context,
          'direct',
          UNLIMITED,
          claim,
        );
        if (staged.error > 0) await refuse(manager, staged.import_id);
        stopIfGone(source.signal);
        if (staged.total >= ANALYZE_ABOVE_ROWS) await manager.query(`SET LOCAL work_mem TO DEFAULT`);
        if (careful) return this.transactional.applyIn(manager, definition, session, token, options);
        return this.transactional
          .applyWhole(manager, definition, session, token, options)
          .catch((error: unknown) => {
            throw isFatalForConfirm(error) ? error : new ApplyWholeFailed(error);
          });
      }),
    );
  }

  /**
   * Deletes a validated session, rows and record, whose client went away before its answer, and throws
   * {@link clientGone}: nobody has its id.
   */
  private async discardIfGone(sessionId: string, signal: AbortSignal | undefined): Promise<void> {
    if (!signal?.aborted) return;
    await this.store.discard(sessionId);
    this.logger.log({ importId: sessionId }, 'validated import discarded: its client went away');
    throw clientGone();
  }

  // ----------------------------------------------------------------------------------------------------- confirm

  /**
   * Throws what a confirm of this session would answer now if it could not claim it (400, 403, 409), without
   * claiming it: for endpoints that check the rows before they confirm.
   */
  assertConfirmable(definition: ImportDefinition, user: AuthUser, importId: string): Promise<void> {
    return this.claims.assertConfirmable(definition, user, importId);
  }

  /** Claims and applies a session row by row (non-atomic); answers the counters and the results. */
  async confirmPerRow(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
  ): Promise<ConfirmResult> {
    const first = await this.claimWritingOnlyBatch(definition, user, importId, requested);
    if ('completed' in first) return this.reads.confirmResult(first.completed);
    const { session, token, options } =
      first.claim ?? (await this.claims.claim(definition, user, importId, requested));
    const completed = await this.runPerRow(definition, session, token, options);
    return this.reads.confirmResult(completed ?? session.id);
  }

  /**
   * Claims the session in a transaction that, when one batch of it is left (a small file), also writes that
   * batch and completes the session: one commit for the whole confirm, and a confirm that dies leaves the
   * session as it was. Answers the completed session; or the claim, committed, of a session with more
   * batches; or neither when a row could not be written (nothing was written, and the caller confirms the
   * way that names the rows).
   */
  private async claimWritingOnlyBatch(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
  ): Promise<{ completed: SessionRecord } | { claim?: Claim }> {
    try {
      const first = await this.limiter.run(() =>
        this.dataSource.transaction(async (manager) => {
          const claim = await this.claims.claim(definition, user, importId, requested, manager);
          const { session, token, options } = claim;
          const completed = await this.perRow.writeOnlyBatch(manager, definition, session, token, options);
          return completed ? { completed } : { claim };
        }),
      );
      if ('completed' in first) this.maintenance.refreshStatistics(definition, first.completed);
      return first;
    } catch (error) {
      if (error instanceof ImportException || isFatalForConfirm(error)) throw error;
      this.logger.warn({ importId, err: String(error) }, 'confirm of one batch failed, applying it again');
      return {};
    }
  }

  /** Claims a session and applies it in the background; progress is read with `GET /api/imports/{id}`. */
  async confirmPerRowAsync(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
  ): Promise<{ import_id: string; status_url: string }> {
    const { session, token, options } = await this.claims.claim(definition, user, importId, requested);
    this.maintenance.inBackground(
      this.runPerRow(definition, session, token, options).catch((error: unknown) =>
        this.logger.error({ importId, err: error }, 'background confirm stopped; confirm again to resume it'),
      ),
    );
    return { import_id: session.id, status_url: `/api/imports/${session.id}` };
  }

  private async runPerRow(
    definition: ImportDefinition,
    session: SessionRecord,
    token: string,
    options: StoredOptions,
  ): Promise<SessionRecord | undefined> {
    return this.underClaim(session.id, token, async () => {
      // A confirm waiting for a connection of a pool saturated by other imports goes on where it stopped
      // (only rows without an outcome are applied) instead of stopping half-way as if the database were down.
      for (let attempt = 1; ; attempt++) {
        try {
          // A later attempt starts from the batches the session says are still to be written.
          const current = attempt === 1 ? session : ((await this.store.find(session.id)) ?? session);
          const completed =
            (await this.perRow.run(definition, current, token, options, attempt === 1)) ??
            (await this.store.complete(session.id, token));
          this.maintenance.refreshStatistics(definition, completed);
          return completed;
        } catch (error) {
          if (!isPoolBusy(error) || attempt >= POOL_BUSY_ATTEMPTS) throw error;
          this.logger.warn(
            { importId: session.id, attempt },
            'no free database connection; the confirm goes on',
          );
        }
      }
    });
  }

  /**
   * Claims and applies a session in one transaction (all or nothing). When a row cannot be written, nothing
   * is written: the answer lists the rows that could not be, and the session can be confirmed again.
   */
  async confirmAllOrNothing(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
  ): Promise<AllOrNothing> {
    const { session, token, options } = await this.claims.claim(definition, user, importId, requested);
    const { completed, failures } = await this.underClaim(session.id, token, () =>
      this.transactional.run(definition, session, token, options),
    );
    if (failures.length > 0 || !completed) {
      await this.store.release(session.id, token);
      return { written: false, failures };
    }
    this.maintenance.refreshStatistics(definition, completed);
    return { written: true, session: completed };
  }

  /**
   * Runs a confirm's work under its claim. When the work fails, the lease is released at once, so that the
   * confirm can be retried without waiting for it to lapse; a confirm that lost its claim answers 409.
   */
  private async underClaim<T>(sessionId: string, token: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.store.release(sessionId, token);
      if (error instanceof LeaseLostError) {
        throw new ImportException(
          ImportExceptionCode.CLAIM_LOST,
          'this import session is being confirmed by another request',
        );
      }
      throw error;
    }
  }
}

import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { preparedRunner } from '../database/prepared-statements';
import { Queryable, rowsOf } from '../database/sql';
import { StoredOptions } from './import-outcomes';
import { SessionRecord, StagedCounts } from './import-session.types';

/** A session row as read: every column, and whether a validated session has expired. */
const SESSION_COLUMNS = `*, (status = 'expired' OR (status = 'validated' AND expires_at <= now())) AS expired`;

/** A session created already claimed by its confirm, for an import staged and applied in one transaction. */
export interface ClaimAtCreation {
  token: string;
  options: StoredOptions;
}

/** What a validate stores about a new session once its rows are staged. */
export interface NewSession {
  /** The id its rows were staged under. */
  id: string;
  ownerId: string;
  entity: string;
  fileName: string | null;
  header: string[];
  ignoredColumns: string[];
  context: Record<string, string>;
  fields: readonly string[];
  cellFields: (string | null)[];
  /** How the import was started: `session` (validate → confirm), `direct` or `one_shot`. */
  kind: 'session' | 'direct' | 'one_shot';
  file: { size: number; sha256: string; format: 'csv' | 'xlsx' };
  /** A session staged and applied in one transaction is created `confirming`, claimed by its confirm. */
  claim?: ClaimAtCreation;
  /** The records too short to import, and the last row number. */
  dropped: number[];
  lastRow: number;
}

/**
 * The session store: `import_sessions` rows through their life (created, counted, claimed, completed,
 * released, deleted with their staged rows). Every statement on the table outside a confirm's batches is
 * here.
 */
@Injectable()
export class ImportSessionRepository {
  /**
   * Prepared statements (see `prepareStatements`), for the statements whose plan is the same whatever the
   * size of a session: on one session by its id, or on a user's validated sessions (the quota).
   */
  readonly prepared: Queryable;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.prepared = preparedRunner(dataSource);
  }

  async find(importId: string): Promise<SessionRecord | undefined> {
    const rows = rowsOf<SessionRecord>(
      await this.prepared.query(`SELECT ${SESSION_COLUMNS} FROM import_sessions WHERE id = $1`, [importId]),
    );
    return rows[0];
  }

  /**
   * Creates the session of rows staged (and analysed) under `session.id` in the validate's transaction, with
   * what staging found out about the file (the records too short to import, the last row number) and the
   * per-status counters of its rows: `validated`, or `confirming`, claimed as {@link claim} would, when its
   * confirm runs in the same transaction. Answers the counters and the session.
   */
  async create(
    manager: EntityManager,
    session: NewSession,
  ): Promise<{ counts: StagedCounts; session: SessionRecord }> {
    const { claim } = session;
    const [row] = rowsOf<SessionRecord>(
      await manager.query(
        `INSERT INTO import_sessions (id, owner_id, entity, status, file_name, header, ignored_columns, context,
           fields, cell_fields, expires_at, kind, file_size, file_sha256, file_format,
           claim_token, options, batch_size, confirmed_at, lease_until,
           total_rows, valid_rows, error_rows, warning_rows, ambiguous_rows, unchanged_rows, dropped_rows, last_row)
         SELECT $1::uuid, $2, $3, CASE WHEN $15::uuid IS NULL THEN 'validated' ELSE 'confirming' END,
           $4, $5, $6, $7, $8, $9, now() + make_interval(secs => $10::double precision / 1000),
           $11, $12, $13, $14, $15::uuid, $16::jsonb, $17::int,
           CASE WHEN $15::uuid IS NULL THEN NULL ELSE now() END,
           CASE WHEN $15::uuid IS NULL THEN NULL
             ELSE now() + make_interval(secs => $18::double precision / 1000) END,
           c.total, c.valid, c.error, c.warning, c.ambiguous, c.unchanged, $19::jsonb, $20::int
         FROM (
           SELECT count(*)::int AS total,
                  count(*) FILTER (WHERE status = 'valid')::int AS valid,
                  count(*) FILTER (WHERE status = 'error')::int AS error,
                  count(*) FILTER (WHERE status = 'warning')::int AS warning,
                  count(*) FILTER (WHERE status = 'ambiguous')::int AS ambiguous,
                  count(*) FILTER (WHERE status = 'warning' AND changes IS NULL)::int AS unchanged
           FROM import_rows WHERE session_id = $1::uuid
         ) c
         RETURNING *, false AS expired`,
        [
          session.id,
          session.ownerId,
          session.entity,
          session.fileName,
          JSON.stringify(session.header),
          JSON.stringify(session.ignoredColumns),
          JSON.stringify(session.context),
          JSON.stringify(session.fields),
          JSON.stringify(session.cellFields),
          this.config.import.sessionTtlMs,
          session.kind,
          session.file.size,
          session.file.sha256,
          session.file.format,
          claim?.token ?? null,
          claim ? JSON.stringify(claim.options) : null,
          claim ? this.config.import.batchSize : null,
          this.config.import.confirmLeaseMs,
          JSON.stringify(session.dropped),
          session.lastRow,
        ],
      ),
    );
    return {
      counts: { total: row.total_rows, valid: row.valid_rows, error: row.error_rows },
      session: row,
    };
  }

  /**
   * Claims the session with one conditional UPDATE: exactly one of any number of concurrent claims, on any
   * number of instances, wins. A session whose confirm died (its lease lapsed) can be claimed again; it keeps
   * the options of its first confirm. Answers the claimed session, or nothing. Given a transaction's
   * `manager`, the claim is part of that transaction.
   */
  async claim(
    importId: string,
    ownerId: string,
    entity: string,
    token: string,
    options: StoredOptions,
    manager?: EntityManager,
  ): Promise<SessionRecord | undefined> {
    const claimed = rowsOf<SessionRecord>(
      await (manager ?? this.prepared).query(
        `UPDATE import_sessions SET
           status = 'confirming', claim_token = $4,
           lease_until = now() + make_interval(secs => $5::double precision / 1000),
           options = coalesce(options, $6::jsonb), confirmed_at = coalesce(confirmed_at, now()),
           batch_size = coalesce(batch_size, $8),
           expires_at = greatest(expires_at, now() + make_interval(secs => $7::double precision / 1000))
         WHERE id = $1 AND owner_id = $2 AND entity = $3
           AND ((status = 'validated' AND expires_at > now()) OR (status = 'confirming' AND lease_until < now()))
         RETURNING ${SESSION_COLUMNS}`,
        [
          importId,
          ownerId,
          entity,
          token,
          this.config.import.confirmLeaseMs,
          JSON.stringify(options),
          this.config.import.sessionTtlMs,
          this.config.import.batchSize,
        ],
      ),
    );
    return claimed[0];
  }

  /** Marks a claimed session completed; it stays readable for another TTL. */
  async complete(
    sessionId: string,
    token: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<SessionRecord | undefined> {
    const [session] = rowsOf<SessionRecord>(
      await manager.query(
        `UPDATE import_sessions SET status = 'completed', completed_at = now(), lease_until = NULL,
           expires_at = now() + make_interval(secs => $3::double precision / 1000)
         WHERE id = $1 AND claim_token = $2
         RETURNING *, false AS expired`,
        [sessionId, token, this.config.import.sessionTtlMs],
      ),
    );
    return session;
  }

  /** Lets a failed confirm be retried at once instead of after its lease (best effort). */
  async release(sessionId: string, token: string): Promise<void> {
    await this.dataSource
      .query(
        `UPDATE import_sessions SET lease_until = now() WHERE id = $1 AND claim_token = $2 AND status = 'confirming'`,
        [sessionId, token],
      )
      .catch(() => undefined);
  }

  /**
   * Deletes the staged rows of expired sessions (a confirm in progress is kept while its lease holds) and
   * keeps the session as the import record: `expired` when it was never confirmed. Records past the history
   * retention are deleted with their lineage.
   */
  async purgeExpired(): Promise<number> {
    const [{ n }]: { n: number }[] = await this.dataSource.query(
      `WITH purged AS (
         UPDATE import_sessions SET rows_purged_at = now(),
           status = CASE WHEN status = 'validated' THEN 'expired' ELSE status END
         WHERE expires_at < now() AND rows_purged_at IS NULL AND status <> 'reverting'
           AND (status <> 'confirming' OR lease_until < now())
         RETURNING id
       ),
       gone_rows AS (DELETE FROM import_rows WHERE session_id IN (SELECT id FROM purged)),
       gone_outcomes AS (DELETE FROM import_row_outcomes WHERE session_id IN (SELECT id FROM purged))
       SELECT count(*)::int AS n FROM purged`,
    );
    await this.dataSource.query(
      `WITH old AS (
         DELETE FROM import_sessions
         WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)
           AND status NOT IN ('confirming', 'reverting')
         RETURNING id
       ),
       gone_rows AS (DELETE FROM import_rows WHERE session_id IN (SELECT id FROM old)),
       gone_outcomes AS (DELETE FROM import_row_outcomes WHERE session_id IN (SELECT id FROM old)),
       gone_changes AS (DELETE FROM import_changes WHERE import_id IN (SELECT id FROM old)),
       gone_created AS (DELETE FROM import_created WHERE import_id IN (SELECT id FROM old)),
       gone_results AS (DELETE FROM import_revert_results WHERE import_id IN (SELECT id FROM old))
       SELECT count(*)::int AS n FROM old`,
      [this.config.import.historyRetentionMs],
    );
    return n;
  }

  /** Deletes a session that will not be confirmed, with its rows. */
  async discard(importId: string): Promise<void> {
    await this.deleteSessions(`id = $1 AND status <> 'completed'`, [importId]);
  }

  /** Sessions and their staged rows, in one statement (rows carry no foreign key, to stage them faster). */
  private async deleteSessions(where: string, params: unknown[]): Promise<number> {
    const [{ n }]: { n: number }[] = await this.dataSource.query(
      `WITH gone AS (DELETE FROM import_sessions WHERE ${where} RETURNING id),
            gone_rows AS (DELETE FROM import_rows WHERE session_id IN (SELECT id FROM gone)),
            gone_outcomes AS (DELETE FROM import_row_outcomes WHERE session_id IN (SELECT id FROM gone))
       SELECT count(*)::int AS n FROM gone`,
      params,
    );
    return n;
  }
}

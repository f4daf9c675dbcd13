import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { rowsOf } from '../database/sql';
import { RevertCounts } from './import-session.types';

/** A revert's decision about one record. */
export interface RevertResult {
  row_number: number;
  record_id: string;
  action: 'deleted' | 'restored' | 'kept';
  reason?: string;
}

/** The filters of `GET /api/imports`. */
export interface HistoryFilter {
  ownerId?: string;
  entity?: string;
  status?: string;
  createdBy?: string;
  from?: string;
  to?: string;
  offset: number;
  limit: number;
}

/** The import records as history: listing them, and the claims, results and completion of their undo. */
@Injectable()
export class ImportHistoryRepository {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** A page of import records, newest first, with the creator's email. */
  async list(filter: HistoryFilter): Promise<{ rows: Record<string, unknown>[]; total: number }> {
    const status = `CASE WHEN s.status = 'validated' AND s.expires_at <= now() THEN 'expired' ELSE s.status END`;
    const where = `($1::text IS NULL OR s.owner_id = $1) AND ($2::text IS NULL OR s.entity = $2)
      AND ($3::text IS NULL OR ${status} = $3) AND ($4::text IS NULL OR s.owner_id = $4)
      AND ($5::timestamptz IS NULL OR s.created_at >= $5) AND ($6::timestamptz IS NULL OR s.created_at < $6)`;
    const params = [
      filter.ownerId ?? null,
      filter.entity ?? null,
      filter.status ?? null,
      filter.createdBy ?? null,
      filter.from ?? null,
      filter.to ?? null,
    ];
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT s.*, (${status} = 'expired') AS expired, u.email AS owner_email
       FROM import_sessions s LEFT JOIN users u ON u.id::text = s.owner_id
       WHERE ${where} ORDER BY s.created_at DESC, s.id OFFSET $7 LIMIT $8`,
      [...params, filter.offset, filter.limit],
    );
    const [{ total }]: { total: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM import_sessions s WHERE ${where}`,
      params,
    );
    return { rows, total };
  }

  async ownerEmail(ownerId: string): Promise<string | null> {
    const rows: { email: string }[] = await this.dataSource.query(
      `SELECT email FROM users WHERE id::text = $1`,
      [ownerId],
    );
    return rows[0]?.email ?? null;
  }

  /**
   * Claims the import for a revert with one conditional UPDATE: one of any number of concurrent reverts
   * wins; a revert cut off by a crash (its lease lapsed) can be claimed again.
   */
  async claim(importId: string, token: string): Promise<boolean> {
    const claimed = rowsOf(
      await this.dataSource.query(
        `UPDATE import_sessions SET status = 'reverting', revert_token = $2,
           revert_lease_until = now() + make_interval(secs => $3::double precision / 1000)
         WHERE id = $1 AND (status = 'completed' OR (status = 'reverting' AND revert_lease_until < now()))
         RETURNING id`,
        [importId, token, this.config.import.confirmLeaseMs],
      ),
    );
    return claimed.length > 0;
  }

  /**
   * Locks the claimed import for the revert's transaction (a takeover waits for it to end), and forgets the
   * results of a revert that was cut off (rolled back with it, so normally none).
   */
  async hold(manager: EntityManager, importId: string, token: string): Promise<boolean> {
    const held = rowsOf(
      await manager.query(
        `SELECT id FROM import_sessions WHERE id = $1 AND revert_token = $2 AND status = 'reverting' FOR UPDATE`,
        [importId, token],
      ),
    );
    return held.length > 0;
  }

  /** The counters of the results written so far. */
  async counts(manager: EntityManager, importId: string): Promise<RevertCounts> {
    const [counts]: RevertCounts[] = await manager.query(
      `SELECT count(*) FILTER (WHERE action = 'deleted')::int AS reverted,
              count(*) FILTER (WHERE action = 'restored')::int AS restored,
              count(*) FILTER (WHERE action = 'kept')::int AS kept
       FROM import_revert_results WHERE import_id = $1`,
      [importId],
    );
    return counts;
  }

  /** Marks the import reverted with its counters, in the revert's transaction. */
  async complete(manager: EntityManager, importId: string, counts: RevertCounts): Promise<void> {
    await manager.query(
      `UPDATE import_sessions SET status = 'reverted', reverted_at = now(), revert_counts = $2,
         revert_lease_until = NULL
       WHERE id = $1`,
      [importId, JSON.stringify(counts)],
    );
  }

  /** Lets a failed revert be retried at once (best effort). */
  async release(importId: string, token: string): Promise<void> {
    await this.dataSource
      .query(`UPDATE import_sessions SET revert_lease_until = now() WHERE id = $1 AND revert_token = $2`, [
        importId,
        token,
      ])
      .catch(() => undefined);
  }

  /** The first results of a revert, by row number. */
  async results(manager: EntityManager, importId: string, limit: number): Promise<RevertResult[]> {
    const rows: (RevertResult & { reason: string | null })[] = await manager.query(
      `SELECT row_number, record_id, action, reason FROM import_revert_results WHERE import_id = $1
       ORDER BY row_number, record_id LIMIT $2`,
      [importId, limit],
    );
    return rows.map(({ reason, ...rest }) => (reason ? { ...rest, reason } : rest));
  }

  /**
   * What an import created and updated (API.md §9): `before` is the before image of an update; `after` the
   * record as it is while it is still this import's (null once something else wrote it, or it is gone).
   */
  async changes(
    table: string,
    importId: string,
    filter: { action?: string; offset: number; limit: number },
  ): Promise<{ items: Record<string, unknown>[]; total: number }> {
    const items = `SELECT u.row_number, u.id AS record_id, 'created' AS action, NULL::jsonb AS before
        FROM import_created c, unnest(c.ids, c.row_numbers) AS u (id, row_number) WHERE c.import_id = $1
      UNION ALL
      SELECT ch.row_number, ch.record_id, 'updated', ch.before FROM import_changes ch WHERE ch.import_id = $1`;
    const rows: Record<string, unknown>[] = await this.dataSource.query(
      `SELECT i.row_number, i.record_id, i.action, i.before, to_jsonb(t) AS after
       FROM (${items}) i LEFT JOIN ${table} t ON t.id = i.record_id AND t.import_id = $1
       WHERE $2::text IS NULL OR i.action = $2
       ORDER BY i.row_number, i.record_id OFFSET $3 LIMIT $4`,
      [importId, filter.action ?? null, filter.offset, filter.limit],
    );
    const [{ total }]: { total: number }[] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM (${items}) i WHERE $2::text IS NULL OR i.action = $2`,
      [importId, filter.action ?? null],
    );
    return {
      items: rows.map(({ before, ...rest }) => (before === null ? rest : { ...rest, before })),
      total,
    };
  }
}

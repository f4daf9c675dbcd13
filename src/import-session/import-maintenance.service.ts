import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SessionRecord } from './import-session.types';
import { ImportDefinition } from './import-definition';
import { ImportSessionRepository } from './import-session.repository';
import { ImportWorkLimiter } from './import-work-limiter';

/** A confirm that wrote at least this many records refreshes the statistics of the table it wrote. */
const ANALYZE_TARGET_ABOVE_ROWS = 50_000;

/**
 * What the import core does besides answering requests: purging expired sessions on a schedule, refreshing
 * the statistics of a table after a large confirm, and keeping track of background work, which the service
 * waits for before it stops.
 */
@Injectable()
export class ImportMaintenanceService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ImportSessionService');
  private readonly background = new Set<Promise<unknown>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    private readonly store: ImportSessionRepository,
    private readonly limiter: ImportWorkLimiter,
  ) {}

  onModuleInit(): void {
    const timer = setInterval(
      () => void this.purgeExpired().catch(() => undefined),
      this.config.import.purgeIntervalMs,
    );
    timer.unref();
    this.scheduler.addInterval('import-session-purge', timer);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }

  /** Deletes expired sessions and their rows (a confirm in progress is kept while its lease holds). */
  async purgeExpired(): Promise<number> {
    const purged = await this.store.purgeExpired();
    if (purged > 0) this.logger.log(`purged ${purged} expired import sessions`);
    return purged;
  }

  /** Runs a task in the background; the service waits for it before it stops. */
  inBackground(task: Promise<unknown>): void {
    this.background.add(task);
    void task.finally(() => this.background.delete(task));
  }

  /**
   * After a large confirm, analyses the table it wrote, in the background: the next validate's look-ups
   * against it are planned on its real size, not on what it held before.
   */
  refreshStatistics(definition: ImportDefinition, session: SessionRecord | undefined): void {
    if (!session || session.created_rows + session.updated_rows < ANALYZE_TARGET_ABOVE_ROWS) return;
    this.inBackground(
      this.limiter
        .run(() => this.dataSource.query(`ANALYZE ${definition.writes}`))
        .catch((error: unknown) =>
          this.logger.warn({ err: error, table: definition.writes }, 'could not analyse the imported table'),
        ),
    );
  }
}

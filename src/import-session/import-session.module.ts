import { Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { CsvUploadInterceptor } from './csv-upload';
import { TwoPhaseImportEndpoints } from './import-endpoints';
import { ImportDefinitions } from './import-definitions';
import { ImportRevertService } from './import-revert.service';
import { ImportHistoryRepository } from './import-history.repository';
import { ImportMaintenanceService } from './import-maintenance.service';
import { ImportReadsService } from './import-reads.service';
import { ImportSessionRepository } from './import-session.repository';
import { ImportSessionService } from './import-session.service';
import { ImportWorkLimiter } from './import-work-limiter';
import { ImportsController } from './imports.controller';
import { ImportHistoryController } from './import-history.controller';
import { UploadSpool } from './upload-spool';

/** The shared core of every import. */
@Module({
  controllers: [ImportHistoryController, ImportsController],
  providers: [
    ImportDefinitions,
    ImportHistoryRepository,
    ImportRevertService,
    ImportSessionRepository,
    ImportReadsService,
    ImportMaintenanceService,
    ImportSessionService,
    TwoPhaseImportEndpoints,
    CsvUploadInterceptor,
    // One spool a process: it empties what crashed processes left at boot, once.
    {
      provide: UploadSpool,
      useFactory: (config: AppConfig) => new UploadSpool(config.dataDir),
      inject: [APP_CONFIG],
    },
    {
      provide: ImportWorkLimiter,
      useFactory: (config: AppConfig) => ImportWorkLimiter.forPool(config.databasePoolSize),
      inject: [APP_CONFIG],
    },
  ],
  exports: [
    ImportDefinitions,
    ImportSessionRepository,
    ImportReadsService,
    ImportSessionService,
    TwoPhaseImportEndpoints,
    CsvUploadInterceptor,
    UploadSpool,
  ],
})
export class ImportSessionModule {}

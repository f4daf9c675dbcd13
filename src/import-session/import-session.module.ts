import { Module } from '@nestjs/common';
import { CsvUploadInterceptor } from './csv-upload';
import { TwoPhaseImportEndpoints } from './import-endpoints';
import { ImportSessionService } from './import-session.service';
import { ImportsController } from './imports.controller';

/** The shared core of every import. */
@Module({
  controllers: [ImportsController],
  providers: [ImportSessionService, TwoPhaseImportEndpoints, CsvUploadInterceptor],
  exports: [ImportSessionService, TwoPhaseImportEndpoints, CsvUploadInterceptor],
})
export class ImportSessionModule {}

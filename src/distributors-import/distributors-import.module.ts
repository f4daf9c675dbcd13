import { Module } from '@nestjs/common';
import { ImportSessionModule } from '../import-session/import-session.module';
import { DistributorsImportController } from './distributors-import.controller';
import { DistributorsImportDefinition } from './distributors-import.definition';

/** Distributors validate → confirm (API.md §4). */
@Module({
  imports: [ImportSessionModule],
  controllers: [DistributorsImportController],
  providers: [DistributorsImportDefinition],
})
export class DistributorsImportModule {}

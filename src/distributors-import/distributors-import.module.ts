import { Module } from '@nestjs/common';
import { ImportDefinitions } from '../import-session/import-definitions';
import { ImportSessionModule } from '../import-session/import-session.module';
import { DistributorsImportController } from './distributors-import.controller';
import { DistributorsImportDefinition } from './distributors-import.definition';

/** Distributors validate → confirm (API.md §4). */
@Module({
  imports: [ImportSessionModule],
  controllers: [DistributorsImportController],
  providers: [DistributorsImportDefinition],
})
export class DistributorsImportModule {
  constructor(definitions: ImportDefinitions, definition: DistributorsImportDefinition) {
    definitions.register(definition);
  }
}

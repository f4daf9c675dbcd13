import { Module } from '@nestjs/common';
import { ImportDefinitions } from '../import-session/import-definitions';
import { ImportSessionModule } from '../import-session/import-session.module';
import { CustomersImportController } from './customers-import.controller';
import { CustomersImportDefinition } from './customers-import.definition';
import { OneShotImportController } from './one-shot-import.controller';
import { OneShotImportService } from './one-shot-import.service';

/** Customers validate → confirm (API.md §4) and the one-shot JSON import (§5). */
@Module({
  imports: [ImportSessionModule],
  controllers: [CustomersImportController, OneShotImportController],
  providers: [CustomersImportDefinition, OneShotImportService],
})
export class CustomersImportModule {
  constructor(definitions: ImportDefinitions, definition: CustomersImportDefinition) {
    definitions.register(definition);
  }
}

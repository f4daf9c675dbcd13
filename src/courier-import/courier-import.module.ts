import { Module } from '@nestjs/common';
import { CourierCustomersModule } from '../courier-customers/courier-customers.module';
import { ImportDefinitions } from '../import-session/import-definitions';
import { ImportSessionModule } from '../import-session/import-session.module';
import { CourierImportController } from './courier-import.controller';
import { CourierImportDefinition } from './courier-import.definition';
import { CourierImportService } from './courier-import.service';
import { ResolveTargetCourierPipe } from './target-courier.pipe';

/** Courier customers import (API.md §6): transactional, directly or after a preview. */
@Module({
  imports: [ImportSessionModule, CourierCustomersModule],
  controllers: [CourierImportController],
  providers: [CourierImportDefinition, CourierImportService, ResolveTargetCourierPipe],
})
export class CourierImportModule {
  constructor(definitions: ImportDefinitions, definition: CourierImportDefinition) {
    definitions.register(definition);
  }
}

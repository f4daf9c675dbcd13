import { Injectable } from '@nestjs/common';
import { ImportDefinition } from './import-definition';

/**
 * The importable entities, by `entity`: each feature module registers its definition at start-up, so the
 * core can undo an import of any entity without importing from a feature folder.
 */
@Injectable()
export class ImportDefinitions {
  private readonly byEntity = new Map<string, ImportDefinition>();

  register(definition: ImportDefinition): void {
    this.byEntity.set(definition.entity, definition);
  }

  get(entity: string): ImportDefinition {
    const definition = this.byEntity.get(entity);
    if (!definition) throw new Error(`no import definition for ${entity}`);
    return definition;
  }
}

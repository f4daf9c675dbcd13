import { HttpStatus, Injectable } from '@nestjs/common';
import { Response } from 'express';
import { AuthUser } from '../auth/permissions';
import { envelope, Envelope } from '../common/http/envelope';
import { confirmOptions } from './confirm-options';
import { CsvUploadFile } from './csv-upload';
import { ImportDefinition } from './import-definition';
import { ImportSessionService } from './import-session.service';
import { ConfirmResult, ValidateResult } from './import-session.types';
import { ConfirmImportDto } from './import.dto';

/** The header line of an import's template. */
export const templateOf = (definition: ImportDefinition) =>
  `${definition.columns.map((c) => c.field).join(',')}\r\n`;

/**
 * The validate → confirm endpoints, once for every two-phase import: a controller passes its definition and
 * gets the contract's envelopes and messages (API.md §4).
 */
@Injectable()
export class TwoPhaseImportEndpoints {
  constructor(private readonly sessions: ImportSessionService) {}

  async validate(
    definition: ImportDefinition,
    user: AuthUser,
    file: CsvUploadFile,
  ): Promise<Envelope<ValidateResult>> {
    const result = await this.sessions.validate(definition, user, file, {
      delimiter: file.fields.delimiter,
      sheet: file.fields.sheet,
    });
    return envelope(result, `${definition.label} import validated`);
  }

  async confirm(
    definition: ImportDefinition,
    user: AuthUser,
    dto: ConfirmImportDto,
    res: Response,
  ): Promise<Envelope<ConfirmResult | { import_id: string; status_url: string }>> {
    const options = confirmOptions(dto);
    if (dto.async) {
      res.status(HttpStatus.ACCEPTED);
      const started = await this.sessions.confirmPerRowAsync(definition, user, dto.import_id, options);
      return envelope(started, `${definition.label} import started`, HttpStatus.ACCEPTED);
    }
    const result = await this.sessions.confirmPerRow(definition, user, dto.import_id, options);
    return envelope(result, `${definition.label} imported successfully`);
  }
}

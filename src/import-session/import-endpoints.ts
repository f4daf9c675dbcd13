import { HttpStatus, Injectable, StreamableFile } from '@nestjs/common';
import { Response } from 'express';
import { AuthUser } from '../auth/permissions';
import { ApiException } from '../common/http/api.exception';
import { envelope, Envelope } from '../common/http/envelope';
import { PassThrough } from 'node:stream';
import { confirmOptions } from './confirm-options';
import { CsvUploadFile } from './csv-upload';
import { ImportDefinition } from './import-definition';
import { ImportSessionService } from './import-session.service';
import { ConfirmResult, ValidateResult } from './import-session.types';
import { ConfirmImportDto } from './import.dto';
import { writeWorkbook, XLSX_CONTENT_TYPE } from './workbook/workbook-writer';

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

  /**
   * The template in the format asked for (`?format=`): the CSV header line (the default), or a workbook whose
   * first row holds the column names.
   */
  template(definition: ImportDefinition, format: unknown, res: Response): string | StreamableFile {
    const wanted = typeof format === 'string' && format.trim() !== '' ? format.trim().toLowerCase() : 'csv';
    if (wanted === 'csv') {
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      return templateOf(definition);
    }
    if (wanted !== 'xlsx') throw new ApiException(HttpStatus.BAD_REQUEST, 'format must be csv or xlsx');
    res.setHeader('Content-Type', XLSX_CONTENT_TYPE);
    res.setHeader('Content-Disposition', `attachment; filename="${definition.entity}-import-template.xlsx"`);
    const out = new PassThrough();
    writeWorkbook('template', [definition.columns.map((c) => c.field)], out).catch((error: unknown) =>
      out.destroy(error as Error),
    );
    return new StreamableFile(out);
  }

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

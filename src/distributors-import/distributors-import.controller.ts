import { Body, Controller, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { AuthUser, Permission } from '../auth/permissions';
import { CurrentUser, Permissions } from '../common/decorators/auth.decorators';
import { CsvUpload, CsvUploadFile, DELIMITER_FIELD, UploadedCsv } from '../import-session/csv-upload';
import { TwoPhaseImportEndpoints } from '../import-session/import-endpoints';
import { twoPhaseImportDocs } from '../import-session/import-docs';
import { ConfirmImportDto } from '../import-session/import.dto';
import { ORGANIZATION_FIELDS } from '../organizations/organization.rules';
import { DistributorsImportDefinition } from './distributors-import.definition';

const docs = twoPhaseImportDocs('distributor', Permission.DistributorImport, ORGANIZATION_FIELDS.join(','));

@ApiTags('distributors import')
@Controller('distributors/import')
export class DistributorsImportController {
  constructor(
    private readonly endpoints: TwoPhaseImportEndpoints,
    private readonly definition: DistributorsImportDefinition,
  ) {}

  /** The header to start from: a CSV line, or with `?format=xlsx` a workbook. */
  @Get('template')
  @Permissions(Permission.DistributorImport)
  @docs.template()
  template(@Query('format') format: unknown, @Res({ passthrough: true }) res: Response) {
    return this.endpoints.template(this.definition, format, res);
  }

  /** Reads and checks a CSV or XLSX file without writing anything; answers every row's status and an `import_id`. */
  @Post('validate')
  @HttpCode(200)
  @Permissions(Permission.DistributorImport)
  @CsvUpload(DELIMITER_FIELD)
  @docs.validate()
  validate(@CurrentUser() user: AuthUser, @UploadedCsv() file: CsvUploadFile) {
    return this.endpoints.validate(this.definition, user, file);
  }

  /** Applies a validated import row by row (non-atomic); `async: true` answers 202 and applies it in the background. */
  @Post('confirm')
  @HttpCode(200)
  @Permissions(Permission.DistributorImport)
  @docs.confirm()
  confirm(
    @CurrentUser() user: AuthUser,
    @Body() dto: ConfirmImportDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.endpoints.confirm(this.definition, user, dto, res);
  }
}

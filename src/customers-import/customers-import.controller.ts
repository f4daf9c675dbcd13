import { Body, Controller, Get, Header, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { Response } from 'express';
import { AuthUser, Permission } from '../auth/permissions';
import { CurrentUser, Permissions } from '../common/decorators/auth.decorators';
import { CsvUpload, CsvUploadFile, DELIMITER_FIELD, UploadedCsv } from '../import-session/csv-upload';
import { TwoPhaseImportEndpoints, templateOf } from '../import-session/import-endpoints';
import { ConfirmImportDto } from '../import-session/import.dto';
import { CustomersImportDefinition } from './customers-import.definition';

@ApiTags('customers import')
@Controller('customers/import')
export class CustomersImportController {
  constructor(
    private readonly endpoints: TwoPhaseImportEndpoints,
    private readonly definition: CustomersImportDefinition,
  ) {}

  /** The CSV header line to start from. */
  @Get('template')
  @Permissions(Permission.CustomerImport)
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @ApiProduces('text/csv')
  template(): string {
    return templateOf(this.definition);
  }

  /** Reads and checks a CSV without writing anything; answers every row's status and an `import_id` to confirm. */
  @Post('validate')
  @HttpCode(200)
  @Permissions(Permission.CustomerImport)
  @CsvUpload(DELIMITER_FIELD)
  @ApiOkResponse({ description: 'customer import validated' })
  @ApiBadRequestResponse({ description: 'The file cannot be imported (the message says why)' })
  validate(@CurrentUser() user: AuthUser, @UploadedCsv() file: CsvUploadFile) {
    return this.endpoints.validate(this.definition, user, file);
  }

  /** Applies a validated import row by row (non-atomic); `async: true` answers 202 and applies it in the background. */
  @Post('confirm')
  @HttpCode(200)
  @Permissions(Permission.CustomerImport)
  @ApiOkResponse({ description: 'customer imported successfully' })
  @ApiAcceptedResponse({ description: 'Started in the background' })
  @ApiConflictResponse({ description: 'The session is being, or was, confirmed' })
  confirm(
    @CurrentUser() user: AuthUser,
    @Body() dto: ConfirmImportDto,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.endpoints.confirm(this.definition, user, dto, res);
  }
}

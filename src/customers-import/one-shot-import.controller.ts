import { applyDecorators, Controller, HttpCode, Post, UseFilters, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, Permission } from '../auth/permissions';
import { ApiAnswer } from '../common/decorators/api-docs.decorators';
import { CurrentUser, Permissions } from '../common/decorators/auth.decorators';
import { ContentField } from './content-field-reader';
import { OneShotBodyInterceptor, OneShotContent } from './one-shot-body.interceptor';
import { OneShotExceptionFilter } from './one-shot-exception.filter';
import { OneShotFailureDto, OneShotImportDto, OneShotResultDto } from './one-shot-import.dto';
import { OneShotImportService } from './one-shot-import.service';

const failure = (status: number, description: string, example: OneShotFailureDto) =>
  ApiAnswer(status, { description, schema: OneShotFailureDto, example });

/** The answers of API.md §5, in its own bodies (never the envelope). */
const oneShotDocs = () =>
  applyDecorators(
    ApiAnswer(200, {
      description: 'Valid and warning rows were written in one transaction; the others are listed',
      schema: OneShotResultDto,
      example: {
        count: 2,
        created: 1,
        updated: 1,
        unchanged: 0,
        errors: [{ index: 2, name: 'Bad Email Srl', message: 'email: invalid_format' }],
      },
    }),
    ApiAnswer(400, {
      description: 'No `content`, a CSV that cannot be read, or no row written and some invalid',
      schema: OneShotFailureDto,
      examples: {
        content: {
          summary: 'No content',
          value: { error: 'content must be a non-empty string of CSV text' },
        },
        rows: {
          summary: 'No row written',
          value: {
            error: 'Import failed.',
            errors: [{ index: 0, name: '', message: 'company_name: required' }],
          },
        },
      },
    }),
    failure(401, 'No valid bearer token', { error: 'missing, invalid or expired bearer token' }),
    failure(403, 'Not an admin', { error: 'missing permission: customer:import-one-shot' }),
    failure(413, 'The body is larger than IMPORT_MAX_FILE_SIZE', { error: 'request body is too large' }),
    failure(500, 'Writing failed; nothing was written', {
      error: 'Import failed while writing customers; nothing was written.',
      errors: [],
    }),
  );

@ApiTags('customers import')
@Controller('customers/import')
@UseFilters(OneShotExceptionFilter)
export class OneShotImportController {
  constructor(private readonly service: OneShotImportService) {}

  /** Imports a CSV given as text in one transaction: valid and warning rows are created or updated by VAT (admin only). */
  @Post()
  @HttpCode(200)
  @Permissions(Permission.CustomerImportOneShot)
  @ApiOperation({ operationId: 'customersImportOneShot' })
  @UseInterceptors(OneShotBodyInterceptor)
  @ApiBody({ type: OneShotImportDto })
  @oneShotDocs()
  import(@CurrentUser() user: AuthUser, @OneShotContent() content: ContentField): Promise<OneShotResultDto> {
    return this.service.import(user, content);
  }
}

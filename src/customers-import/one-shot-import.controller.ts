import { Body, Controller, HttpCode, Post, UseFilters } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiInternalServerErrorResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthUser, Permission } from '../auth/permissions';
import { CurrentUser, Permissions } from '../common/decorators/auth.decorators';
import { OneShotExceptionFilter } from './one-shot-exception.filter';
import { OneShotFailureDto, OneShotImportDto, OneShotResultDto } from './one-shot-import.dto';
import { OneShotImportService } from './one-shot-import.service';

@ApiTags('customers import')
@Controller('customers/import')
@UseFilters(OneShotExceptionFilter)
export class OneShotImportController {
  constructor(private readonly service: OneShotImportService) {}

  /** Imports a CSV given as text in one transaction: valid and warning rows are created or updated by VAT (admin only). */
  @Post()
  @HttpCode(200)
  @Permissions(Permission.CustomerImportOneShot)
  @ApiBody({ type: OneShotImportDto })
  @ApiOkResponse({ type: OneShotResultDto })
  @ApiBadRequestResponse({
    type: OneShotFailureDto,
    description: 'No content, an unreadable CSV, or no row written',
  })
  @ApiUnauthorizedResponse({ type: OneShotFailureDto })
  @ApiPayloadTooLargeResponse({ type: OneShotFailureDto })
  @ApiInternalServerErrorResponse({
    type: OneShotFailureDto,
    description: 'Writing failed; nothing was written',
  })
  import(@CurrentUser() user: AuthUser, @Body() body: Record<string, unknown>): Promise<OneShotResultDto> {
    return this.service.import(user, body?.content);
  }
}

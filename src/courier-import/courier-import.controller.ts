import { Body, Controller, HttpCode, Post, UseFilters } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser, Permission } from '../auth/permissions';
import { CurrentUser, Permissions } from '../common/decorators/auth.decorators';
import { envelope, Envelope } from '../common/http/envelope';
import { CsvUpload, CsvUploadFile, UploadedCsv, UploadField } from '../import-session/csv-upload';
import { ValidateResult } from '../import-session/import-session.types';
import { ConfirmImportDto } from '../import-session/import.dto';
import { CourierExceptionFilter } from './courier-exception.filter';
import { CourierImportErrorDto, CourierImportSuccessDto } from './courier-import.dto';
import { CourierImportService } from './courier-import.service';
import { ResolveTargetCourierPipe, TargetCourier } from './target-courier.pipe';

const TARGET_COURIER: Record<string, UploadField> = {
  target_courier_id: {
    type: 'string',
    format: 'uuid',
    description: 'The courier to import into: required for admin and manager, ignored for a courier user',
    // Empty, not a made-up uuid: a courier user leaves it so, an admin or manager pastes a courier's id.
    example: '',
  },
};

@ApiTags('courier customers import')
@Controller('courier-customers/import')
@UseFilters(CourierExceptionFilter)
@ApiBadRequestResponse({
  type: CourierImportErrorDto,
  description: 'Invalid rows or a failed write: nothing was written',
})
@ApiNotFoundResponse({ type: CourierImportErrorDto, description: 'Unknown courier (or another courier’s)' })
export class CourierImportController {
  constructor(private readonly service: CourierImportService) {}

  /** Upserts a positional CSV (`user_code,first_name,last_name[,branch]`, header skipped) in one transaction. */
  @Post()
  @HttpCode(200)
  @Permissions(Permission.CustomerAdd)
  @CsvUpload(TARGET_COURIER)
  @ApiOkResponse({ type: CourierImportSuccessDto })
  import(
    @CurrentUser() user: AuthUser,
    @UploadedCsv() file: CsvUploadFile,
    @TargetCourier(ResolveTargetCourierPipe) courierId: string,
  ): Promise<CourierImportSuccessDto> {
    return this.service.import(user, courierId, file);
  }

  /** Previews a courier CSV without writing anything; answers every row's status and an `import_id`. */
  @Post('validate')
  @HttpCode(200)
  @Permissions(Permission.CustomerAdd)
  @CsvUpload(TARGET_COURIER)
  async validate(
    @CurrentUser() user: AuthUser,
    @UploadedCsv() file: CsvUploadFile,
    @TargetCourier(ResolveTargetCourierPipe) courierId: string,
  ): Promise<Envelope<ValidateResult>> {
    return envelope(await this.service.validate(user, courierId, file), 'courier customer import validated');
  }

  /** Applies a previewed courier import in one transaction (answers like the import). */
  @Post('confirm')
  @HttpCode(200)
  @Permissions(Permission.CustomerAdd)
  @ApiOkResponse({ type: CourierImportSuccessDto })
  confirm(@CurrentUser() user: AuthUser, @Body() dto: ConfirmImportDto): Promise<CourierImportSuccessDto> {
    return this.service.confirm(user, dto.import_id);
  }
}

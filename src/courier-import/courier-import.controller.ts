import { Body, Controller, HttpCode, Post, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthUser, Permission } from '../auth/permissions';
import { CurrentUser, Permissions } from '../common/decorators/auth.decorators';
import { envelope, Envelope } from '../common/http/envelope';
import { CsvUpload, CsvUploadFile, UploadedCsv, UploadField } from '../import-session/csv-upload';
import { ValidateResult } from '../import-session/import-session.types';
import { ConfirmImportDto } from '../import-session/import.dto';
import { CourierExceptionFilter } from './courier-exception.filter';
import { courierErrorDocs, courierSuccessDoc, courierValidateDocs } from './courier-import-docs';
import { CourierConfirmDto, CourierImportSuccessDto } from './courier-import.dto';
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
export class CourierImportController {
  constructor(private readonly service: CourierImportService) {}

  /** Upserts a positional CSV or XLSX file (`user_code,first_name,last_name[,branch]`, header skipped) in one transaction. */
  @Post()
  @HttpCode(200)
  @Permissions(Permission.CustomerAdd)
  @CsvUpload(TARGET_COURIER)
  @ApiOperation({ operationId: 'courierImportOneShot' })
  @courierSuccessDoc({
    status: 'success',
    message: 'Successfully processed 4 records (Upsert complete).',
    data: { processed: 4, created: 2, updated: 1, unchanged: 1, skipped_rows: [5] },
  })
  @courierErrorDocs({ upload: true })
  import(
    @CurrentUser() user: AuthUser,
    @UploadedCsv() file: CsvUploadFile,
    @TargetCourier(ResolveTargetCourierPipe) courierId: string,
  ): Promise<CourierImportSuccessDto> {
    return this.service.import(user, courierId, file);
  }

  /** Previews a courier CSV or XLSX file without writing anything; answers every row's status and an `import_id`. */
  @Post('validate')
  @HttpCode(200)
  @Permissions(Permission.CustomerAdd)
  @CsvUpload(TARGET_COURIER)
  @courierValidateDocs()
  @courierErrorDocs({ upload: true })
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
  @ApiBody({ type: CourierConfirmDto })
  @courierSuccessDoc({
    status: 'success',
    message: 'Successfully processed 2 records (Upsert complete).',
    data: { processed: 2, created: 2, updated: 0, unchanged: 0, skipped_rows: [5] },
  })
  @courierErrorDocs({ upload: false })
  confirm(@CurrentUser() user: AuthUser, @Body() dto: ConfirmImportDto): Promise<CourierImportSuccessDto> {
    return this.service.confirm(user, dto.import_id);
  }
}

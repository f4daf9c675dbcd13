import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Permission } from '../auth/permissions';
import { Permissions } from '../common/decorators/auth.decorators';
import { envelope, Envelope, Page } from '../common/http/envelope';
import {
  OrganizationBodyDto,
  OrganizationDto,
  OrganizationListQueryDto,
} from '../organizations/organization.dto';
import { organizationDocs } from '../organizations/organization-docs';
import { DistributorsService } from './distributors.service';

const docs = organizationDocs('distributor', OrganizationDto);

@ApiTags('distributors')
@Controller('distributors')
export class DistributorsController {
  constructor(private readonly service: DistributorsService) {}

  /** Lists distributors by company name; searches name and VAT; archived ones only with `archived=true`. */
  @Get()
  @Permissions(Permission.DirectoryRead)
  @docs.list()
  async list(@Query() query: OrganizationListQueryDto): Promise<Envelope<Page<OrganizationDto>>> {
    return envelope(await this.service.list(query));
  }

  /** A distributor, archived or not. */
  @Get(':id')
  @Permissions(Permission.DirectoryRead)
  @docs.get()
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<Envelope<OrganizationDto>> {
    return envelope(await this.service.get(id));
  }

  /** Creates a distributor, with the field rules of the CSV import. */
  @Post()
  @HttpCode(201)
  @Permissions(Permission.DistributorImport)
  @docs.create()
  async create(@Body() dto: OrganizationBodyDto): Promise<Envelope<OrganizationDto>> {
    return envelope(await this.service.create(dto), 'distributor created', 201);
  }

  /** Replaces every editable field of a distributor (a field left out is cleared). */
  @Put(':id')
  @Permissions(Permission.DistributorImport)
  @docs.update()
  async update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: OrganizationBodyDto,
  ): Promise<Envelope<OrganizationDto>> {
    return envelope(await this.service.update(id, dto), 'distributor updated');
  }

  /** Archives a distributor (soft delete): it leaves the list and the import look-ups but can still be read by id. */
  @Delete(':id')
  @HttpCode(204)
  @Permissions(Permission.DistributorImport)
  @docs.archive()
  async archive(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.service.archive(id);
  }
}

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
import { organizationDocs } from '../organizations/organization-docs';
import { envelope, Envelope, Page } from '../common/http/envelope';
import { CustomerBodyDto, CustomerDto, CustomerListQueryDto } from './customer.dto';
import { CustomersService } from './customers.service';

const docs = organizationDocs('customer', CustomerDto);

@ApiTags('customers')
@Controller('customers')
export class CustomersController {
  constructor(private readonly service: CustomersService) {}

  /** Lists customers by company name; searches name and VAT; archived ones only with `archived=true`. */
  @Get()
  @Permissions(Permission.DirectoryRead)
  @docs.list()
  async list(@Query() query: CustomerListQueryDto): Promise<Envelope<Page<CustomerDto>>> {
    return envelope(await this.service.list(query));
  }

  /** A customer, archived or not. */
  @Get(':id')
  @Permissions(Permission.DirectoryRead)
  @docs.get()
  async get(@Param('id', ParseUUIDPipe) id: string): Promise<Envelope<CustomerDto>> {
    return envelope(await this.service.get(id));
  }

  /** Creates a customer, with the field rules of the CSV import. */
  @Post()
  @HttpCode(201)
  @Permissions(Permission.CustomerImport)
  @docs.create()
  async create(@Body() dto: CustomerBodyDto): Promise<Envelope<CustomerDto>> {
    return envelope(await this.service.create(dto), 'customer created', 201);
  }

  /** Replaces every editable field of a customer (a field left out is cleared). */
  @Put(':id')
  @Permissions(Permission.CustomerImport)
  @docs.update()
  async update(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: CustomerBodyDto,
  ): Promise<Envelope<CustomerDto>> {
    return envelope(await this.service.update(id, dto), 'customer updated');
  }

  /** Archives a customer (soft delete): it leaves the list but can still be read by id. */
  @Delete(':id')
  @HttpCode(204)
  @Permissions(Permission.CustomerImport)
  @docs.archive()
  async archive(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.service.archive(id);
  }
}

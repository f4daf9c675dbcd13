import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { isUUID } from 'class-validator';
import { QueryFailedError, Repository } from 'typeorm';
import { AuthUser, Role } from '../auth/permissions';
import { ApiException, notFound } from '../common/http/api.exception';
import { Page } from '../common/http/envelope';
import { likePattern, PageQueryDto } from '../common/http/page-query.dto';
import { Courier } from '../couriers/courier.entity';
import { CourierCustomerBodyDto, CourierCustomerDto } from './courier-customer.dto';
import { CourierCustomer } from './courier-customer.entity';
import { checkCourierCustomer, CourierCustomerValue } from './courier-customer.rules';

const USER_CODE_UNIQUE = 'courier_customers_courier_user_code_unique';

export const toCourierCustomerDto = (customer: CourierCustomer): CourierCustomerDto => ({
  id: customer.id,
  courier_id: customer.courierId,
  user_code: customer.userCode,
  first_name: customer.firstName,
  last_name: customer.lastName,
  branch: customer.branch,
  created_at: customer.createdAt,
  updated_at: customer.updatedAt,
  import_id: customer.importId,
});

/** A row answered by `RETURNING *`: its columns are the answer's fields. */
const fromRow = (row: Record<string, unknown>): CourierCustomerDto => ({
  id: row.id as string,
  courier_id: row.courier_id as string,
  user_code: row.user_code as string,
  first_name: row.first_name as string,
  last_name: row.last_name as string,
  branch: row.branch as string | null,
  created_at: row.created_at as Date,
  updated_at: row.updated_at as Date,
  import_id: (row.import_id as string | null) ?? null,
});

/** A checked value as entity properties. */
const columns = (value: CourierCustomerValue) => ({
  userCode: value.user_code,
  firstName: value.first_name,
  lastName: value.last_name,
  branch: value.branch,
});

const userCodeTaken = () =>
  new ApiException(HttpStatus.CONFLICT, 'a customer with this user_code already exists in this courier', {
    errors: [{ field: 'user_code', message: 'already_exists' }],
  });

const isUserCodeClash = (error: unknown) => {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as { code?: string; constraint?: string };
  return driverError.code === '23505' && driverError.constraint === USER_CODE_UNIQUE;
};

@Injectable()
export class CourierCustomersService {
  constructor(
    @InjectRepository(CourierCustomer) private readonly customers: Repository<CourierCustomer>,
    @InjectRepository(Courier) private readonly couriers: Repository<Courier>,
  ) {}

  /**
   * Passes when the caller may work on this courier's customers, else 404 `courier not found`: a courier user
   * reaches only its own courier (any other answers 404, never 403, so that courier ids do not leak); admins
   * and managers reach any courier that exists.
   */
  async assertCourierAccess(user: AuthUser, courierId: string): Promise<void> {
    const id = courierId.toLowerCase();
    const restricted = user.role === Role.Courier || user.courierId !== null;
    if (!isUUID(id) || (restricted && user.courierId !== id)) throw notFound('courier');
    if (!(await this.couriers.existsBy({ id }))) throw notFound('courier');
  }

  async list(user: AuthUser, courierId: string, query: PageQueryDto): Promise<Page<CourierCustomerDto>> {
    await this.assertCourierAccess(user, courierId);
    const builder = this.customers
      .createQueryBuilder('cc')
      .where('cc.courierId = :courierId', { courierId })
      .orderBy('cc.userCode')
      .addOrderBy('cc.id');
    if (query.search) {
      builder.andWhere(
        '(cc.userCode ILIKE :search OR cc.firstName ILIKE :search OR cc.lastName ILIKE :search)',
        { search: likePattern(query.search) },
      );
    }
    const [items, total] = await builder.skip(query.offset).take(query.limit).getManyAndCount();
    return { items: items.map(toCourierCustomerDto), total, offset: query.offset, limit: query.limit };
  }

  async get(user: AuthUser, courierId: string, id: string): Promise<CourierCustomerDto> {
    await this.assertCourierAccess(user, courierId);
    const customer = await this.customers.findOneBy({ id, courierId });
    if (!customer) throw notFound('courier customer');
    return toCourierCustomerDto(customer);
  }

  /** Creates a customer; 409 when its `user_code` is taken in this courier (decided by the insert itself). */
  async create(user: AuthUser, courierId: string, dto: CourierCustomerBodyDto): Promise<CourierCustomerDto> {
    await this.assertCourierAccess(user, courierId);
    const value = this.check(dto);
    const inserted = await this.customers
      .createQueryBuilder()
      .insert()
      .values({ courierId, ...columns(value) })
      .orIgnore()
      .returning('*')
      .execute();
    const rows = inserted.raw as Record<string, unknown>[];
    if (rows.length === 0) throw userCodeTaken();
    return fromRow(rows[0]);
  }

  /** Replaces every field of a customer, `user_code` included; 409 when the new code is taken in this courier. */
  async update(
    user: AuthUser,
    courierId: string,
    id: string,
    dto: CourierCustomerBodyDto,
  ): Promise<CourierCustomerDto> {
    await this.assertCourierAccess(user, courierId);
    const value = this.check(dto);
    let rows: Record<string, unknown>[];
    try {
      const updated = await this.customers
        .createQueryBuilder()
        .update()
        .set({ ...columns(value), importId: null })
        .where({ id, courierId })
        .returning('*')
        .execute();
      rows = updated.raw as Record<string, unknown>[];
    } catch (error) {
      if (isUserCodeClash(error)) throw userCodeTaken();
      throw error;
    }
    if (rows.length === 0) throw notFound('courier customer');
    return fromRow(rows[0]);
  }

  /** Deletes a customer for good. */
  async remove(user: AuthUser, courierId: string, id: string): Promise<void> {
    await this.assertCourierAccess(user, courierId);
    const result = await this.customers.delete({ id, courierId });
    if (!result.affected) throw notFound('courier customer');
  }

  /** The shared field rules (those of the courier import too); 400 naming every field error. */
  private check(dto: CourierCustomerBodyDto): CourierCustomerValue {
    const { value, errors } = checkCourierCustomer(dto);
    if (errors.length > 0) {
      const summary = errors.map((e) => `${e.field} ${e.message}`).join('; ');
      throw new ApiException(HttpStatus.BAD_REQUEST, `validation failed: ${summary}`, { errors });
    }
    return value;
  }
}

import { HttpStatus } from '@nestjs/common';
import { EntityManager, FindOptionsWhere, Repository, SelectQueryBuilder } from 'typeorm';
import { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { ApiException, notFound } from '../common/http/api.exception';
import { Page } from '../common/http/envelope';
import { likePattern } from '../common/http/page-query.dto';
import { checkFields, FieldError, FieldValues } from '../import-session/field-rules';
import { OrganizationBodyDto, OrganizationDto, OrganizationListQueryDto } from './organization.dto';
import { OrganizationEntity } from './organization.entity';
import { ORGANIZATION_RULES } from './organization.rules';

/** 400 naming every field error: `validation failed: company_name required; email invalid_format`. */
export function validationFailed(errors: FieldError[]): ApiException {
  const summary = errors.map((e) => `${e.field} ${e.message}`).join('; ');
  return new ApiException(HttpStatus.BAD_REQUEST, `validation failed: ${summary}`, { errors });
}

/** The shared columns as the API answers them (snake_case, like the table). */
export const toOrganizationDto = (o: OrganizationEntity): OrganizationDto => ({
  id: o.id,
  company_name: o.companyName,
  description: o.description,
  vat_number: o.vatNumber,
  address: o.address,
  city: o.city,
  main_contact: o.mainContact,
  email: o.email,
  phone: o.phone,
  language: o.language,
  notes: o.notes,
  created_at: o.createdAt,
  updated_at: o.updatedAt,
  archived_at: o.archivedAt,
  import_id: o.importId,
});

/**
 * Values checked by `checkFields(ORGANIZATION_RULES, …)` (without errors) as entity properties. `vat_key` is a
 * generated column and is never written.
 */
export const toOrganizationColumns = (value: FieldValues): QueryDeepPartialEntity<OrganizationEntity> => ({
  companyName: value.company_name ?? '',
  description: value.description,
  vatNumber: value.vat_number ?? '',
  address: value.address,
  city: value.city,
  mainContact: value.main_contact,
  email: value.email,
  phone: value.phone,
  language: value.language ?? 'it',
  notes: value.notes,
});

/** What an entity's own fields add to a write: their columns, or their errors. */
export interface ExtraColumns<E> {
  columns: QueryDeepPartialEntity<E>;
  errors: FieldError[];
}

/**
 * The REST resource of customers and distributors (API.md §2, §7), written once: list (paging, search by name or
 * VAT, archived left out unless asked for), get, create, full replace and archive. The field rules are those of
 * the CSV imports. A subclass names its entity and adds what only it has (customers: `distributor_id`) through
 * `toDto`, `checkExtra` and `filter`.
 */
export abstract class OrganizationRestService<
  E extends OrganizationEntity,
  D extends OrganizationDto = OrganizationDto,
  B extends OrganizationBodyDto = OrganizationBodyDto,
  Q extends OrganizationListQueryDto = OrganizationListQueryDto,
> {
  protected constructor(
    protected readonly repository: Repository<E>,
    /** `customer` or `distributor`, as in `customer not found`. */
    protected readonly label: string,
  ) {}

  /** The answer for one record. */
  protected abstract toDto(entity: E): D;

  /** Checks the entity's own fields of a body, inside the write's transaction. */
  protected checkExtra(_manager: EntityManager, _body: B): Promise<ExtraColumns<E>> {
    return Promise.resolve({ columns: {}, errors: [] });
  }

  /** Narrows a list by the entity's own filters. The builder's alias is `o`. */
  protected filter(_builder: SelectQueryBuilder<E>, _query: Q): void {}

  async list(query: Q): Promise<Page<D>> {
    const builder = this.repository.createQueryBuilder('o').orderBy('o.companyName').addOrderBy('o.id');
    if (!query.archived) builder.andWhere('o.archivedAt IS NULL');
    if (query.search) {
      builder.andWhere('(o.companyName ILIKE :search OR o.vatNumber ILIKE :search)', {
        search: likePattern(query.search),
      });
    }
    this.filter(builder, query);
    const [items, total] = await builder.skip(query.offset).take(query.limit).getManyAndCount();
    return { items: items.map((item) => this.toDto(item)), total, offset: query.offset, limit: query.limit };
  }

  /** The record, archived or not; 404 when there is none. */
  async get(id: string): Promise<D> {
    const entity = await this.repository.findOneBy(this.byId(id));
    if (!entity) throw notFound(this.label);
    return this.toDto(entity);
  }

  async create(body: B): Promise<D> {
    return this.repository.manager.transaction(async (manager) => {
      const columns = await this.check(manager, body);
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(this.repository.target, Object.keys(columns))
        .values(columns)
        .returning('id')
        .execute();
      return this.read(manager, (inserted.raw as { id: string }[])[0].id);
    });
  }

  /** Replaces every editable field (one left out is cleared). An archived record can be corrected too. */
  async update(id: string, body: B): Promise<D> {
    return this.repository.manager.transaction(async (manager) => {
      const columns = await this.check(manager, body);
      const updated = await manager
        .createQueryBuilder()
        .update(this.repository.target)
        .set({ ...columns, importId: null, updatedAt: () => 'now()' })
        .where('id = :id', { id })
        .execute();
      if (!updated.affected) throw notFound(this.label);
      return this.read(manager, id);
    });
  }

  /** Archives the record (soft delete). Archiving it again changes nothing; 404 when there is none. */
  async archive(id: string): Promise<void> {
    const archived = await this.repository
      .createQueryBuilder()
      .update()
      .set({
        archivedAt: () => 'coalesce(archived_at, now())',
        updatedAt: () => 'CASE WHEN archived_at IS NULL THEN now() ELSE updated_at END',
      } as QueryDeepPartialEntity<E>)
      .where('id = :id', { id })
      .execute();
    if (!archived.affected) throw notFound(this.label);
  }

  /** The shared field rules, then the entity's own; 400 naming every error. */
  private async check(manager: EntityManager, body: B): Promise<QueryDeepPartialEntity<E>> {
    const { value, errors } = checkFields(ORGANIZATION_RULES, { ...(body as OrganizationBodyDto) });
    const extra = await this.checkExtra(manager, body);
    const all = [...errors, ...extra.errors];
    if (all.length > 0) throw validationFailed(all);
    return { ...toOrganizationColumns(value), ...extra.columns };
  }

  private async read(manager: EntityManager, id: string): Promise<D> {
    return this.toDto(await manager.getRepository(this.repository.target).findOneByOrFail(this.byId(id)));
  }

  private byId(id: string): FindOptionsWhere<E> {
    return { id } as FindOptionsWhere<E>;
  }
}

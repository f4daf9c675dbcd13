import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { AuthUser, Role } from '../auth/permissions';
import {
  ApiEnvelope,
  ApiError,
  ApiInvalidId,
  ApiValidationError,
} from '../common/decorators/api-docs.decorators';
import { Authenticated, CurrentUser } from '../common/decorators/auth.decorators';
import { envelope, Envelope } from '../common/http/envelope';
import { historyItem } from './import-history';
import {
  ImportChangeDto,
  ImportChangesQueryDto,
  ImportHistoryQueryDto,
  ImportRecordDto,
  RevertAnswerDto,
  RevertImportDto,
} from './import-history.dto';
import { ImportDefinitions } from './import-definitions';
import { ImportReadsService } from './import-reads.service';
import { ImportHistoryRepository } from './import-history.repository';
import { ImportRevertService, RevertAnswer } from './import-revert.service';
import { SessionRecord } from './import-session.types';

/** The history of imports (API.md §9) and their undo (§10). */
@ApiTags('imports')
@Controller('imports')
@Authenticated()
export class ImportHistoryController {
  constructor(
    private readonly history: ImportHistoryRepository,
    private readonly reverts: ImportRevertService,
    private readonly reads: ImportReadsService,
    private readonly definitions: ImportDefinitions,
  ) {}

  /** What the import created and updated, with the values before and after (API.md §9). */
  @Get(':id/changes')
  @ApiEnvelope(200, ImportChangeDto, {
    description: 'A page of changes, by row number',
    message: 'ok',
    page: true,
  })
  @ApiError(404, 'No such import, or it belongs to another user', 'import session not found')
  @ApiInvalidId()
  @ApiValidationError('action', 'action must be one of the following values: created, updated')
  async changes(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: ImportChangesQueryDto,
  ): Promise<Envelope<{ items: Record<string, unknown>[]; total: number; offset: number; limit: number }>> {
    const session = await this.reads.readable(user, id);
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const table = this.definitions.get(session.entity).revert.table;
    const page = await this.history.changes(table, id, { action: query.action, offset, limit });
    return envelope({ ...page, offset, limit });
  }

  /** The imports the caller made (an admin: everyone's), newest first. */
  @Get()
  @ApiEnvelope(200, ImportRecordDto, { description: 'A page of import records', message: 'ok', page: true })
  @ApiValidationError(
    'status',
    'status must be one of the following values: validated, confirming, completed, expired, failed, reverting, reverted',
  )
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: ImportHistoryQueryDto,
  ): Promise<Envelope<{ items: Record<string, unknown>[]; total: number; offset: number; limit: number }>> {
    const offset = query.offset ?? 0;
    const limit = query.limit ?? 20;
    const { rows, total } = await this.history.list({
      ownerId: user.role === Role.Admin ? undefined : user.id,
      entity: query.entity,
      status: query.status,
      createdBy: query.created_by,
      from: query.from,
      to: query.to,
      offset,
      limit,
    });
    const items = rows.map((row) =>
      historyItem(row as unknown as SessionRecord, (row.owner_email as string | null) ?? null),
    );
    return envelope({ items, total, offset, limit });
  }

  /**
   * Undoes a completed import: deletes what it created, gives what it updated its before values back, and
   * keeps every record changed, archived or referenced since, as a conflict.
   */
  @Post(':id/revert')
  @HttpCode(200)
  @ApiEnvelope(200, RevertAnswerDto, {
    description: 'What the revert did (or would do, with `dry_run`)',
    message: 'import reverted',
  })
  @ApiError(
    202,
    'Reverting in the background (`async: true`); progress at `GET /api/imports/{id}`',
    'import revert started',
  )
  @ApiError(404, 'No such import, or it belongs to another user', 'import session not found')
  @ApiError(
    409,
    'The import is not completed (validated only, expired, failed, being reverted or reverted)',
    'import cannot be reverted: the import was reverted already',
  )
  @ApiInvalidId()
  @ApiValidationError('dry_run', 'dry_run must be a boolean value')
  async revert(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: RevertImportDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Envelope<RevertAnswer | { id: string }>> {
    const answer = await this.reverts.revert(user, id, {
      dryRun: body.dry_run ?? false,
      async: body.async ?? false,
    });
    if (answer === undefined) {
      res.status(202);
      return envelope({ id }, 'import revert started', 202);
    }
    return envelope(answer, body.dry_run ? 'import revert dry run' : 'import reverted');
  }
}

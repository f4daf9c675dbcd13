import { Controller, Get, HttpStatus } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ApiEnvelope, ApiError } from '../common/decorators/api-docs.decorators';
import { Public } from '../common/decorators/auth.decorators';
import { ApiException } from '../common/http/api.exception';
import { envelope, Envelope } from '../common/http/envelope';
import { HealthDto } from './health.dto';

const PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Answers 200 when the service and its database are up, 503 when the database cannot be reached. */
  @Get()
  @Public()
  @ApiEnvelope(200, HealthDto, { description: 'The service and its database are up', message: 'ok' })
  @ApiError(503, 'The database cannot be reached', 'database unavailable', {
    status: 'error',
    database: 'down',
  })
  async check(): Promise<Envelope<HealthDto>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // Timers run before I/O in each turn of the event loop: when a busy process (imports parsing CSV) is
      // late, the database's answer may already be waiting. setImmediate lets it be read first, so that only a
      // database that did not answer in time is reported down, not a service that was busy.
      timer = setTimeout(() => setImmediate(() => reject(new Error('timeout'))), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.dataSource.query('SELECT 1'), timeout]);
    } catch {
      throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, 'database unavailable', {
        status: 'error',
        database: 'down',
      });
    } finally {
      clearTimeout(timer);
    }
    return envelope({ status: 'ok', database: 'up' });
  }
}

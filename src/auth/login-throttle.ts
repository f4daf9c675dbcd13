import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiException } from '../common/http/api.exception';
import { APP_CONFIG, AppConfig } from '../config/config';

export class TooManyLoginAttempts extends ApiException {
  constructor(readonly retryAfterSeconds: number) {
    super(HttpStatus.TOO_MANY_REQUESTS, 'too many requests, try again later');
  }
}

/**
 * Counts login attempts per account (the email as sent, lower-cased) and per client address, each in a
 * fixed window of LOGIN_THROTTLE_TTL, in PostgreSQL so that every instance sees the same counters. Over
 * LOGIN_THROTTLE_LIMIT on either key, the attempt is refused before any password is hashed.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dataSource: DataSource,
  ) {}

  async hit(email: string, address: string | undefined): Promise<void> {
    const { loginThrottleLimit: limit, loginThrottleTtlMs: ttlMs } = this.config.http;
    const keys = [`account:${email.trim().toLowerCase()}`, `address:${address ?? 'unknown'}`];
    await this.dataSource.query(
      `DELETE FROM login_throttle WHERE window_start <= now() - $1 * interval '1 millisecond'`,
      [ttlMs],
    );
    const rows: { attempts: number; retry: string }[] = await this.dataSource.query(
      `INSERT INTO login_throttle AS t (key, attempts, window_start)
       SELECT key, 1, now() FROM unnest($1::text[]) AS key
       ON CONFLICT (key) DO UPDATE SET
         attempts = CASE WHEN t.window_start <= now() - $2 * interval '1 millisecond' THEN 1 ELSE t.attempts + 1 END,
         window_start = CASE WHEN t.window_start <= now() - $2 * interval '1 millisecond' THEN now() ELSE t.window_start END
       RETURNING t.attempts,
         ceil(extract(epoch FROM t.window_start + $2 * interval '1 millisecond' - now()))::text AS retry`,
      [keys, ttlMs],
    );
    const over = rows.filter((row) => row.attempts > limit);
    if (over.length > 0) {
      throw new TooManyLoginAttempts(Math.max(1, ...over.map((row) => Number(row.retry))));
    }
  }
}

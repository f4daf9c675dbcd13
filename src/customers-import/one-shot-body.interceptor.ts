import {
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { Request, Response } from 'express';
import { unlink } from 'node:fs';
import { Observable } from 'rxjs';
import { closedBeforeAnswer } from '../common/http/answer-signal';
import { APP_CONFIG, AppConfig } from '../config/config';
import { UploadSpool } from '../import-session/upload-spool';
import { ContentField, readContentField } from './content-field-reader';

type OneShotRequest = Request & { content?: ContentField };

/**
 * Reads the one-shot import's JSON body after the guards, as a stream: the CSV text of `content` goes to a
 * file of the upload spool (deleted once the answer is sent), so that a body as large as an upload costs no
 * more memory than an upload. Bodies other than JSON carry no `content`.
 */
@Injectable()
export class OneShotBodyInterceptor implements NestInterceptor {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly spool: UploadSpool,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const req = context.switchToHttp().getRequest<OneShotRequest>();
    const res = context.switchToHttp().getResponse<Response>();
    const files: string[] = [];
    res.on('close', () => files.forEach((path) => unlink(path, () => undefined)));
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    try {
      req.content =
        type === 'application/json'
          ? await readContentField(req, {
              maxBytes: this.config.import.maxFileBytes,
              createFile: () => {
                const { path } = this.spool.create();
                files.push(path);
                return path;
              },
            })
          : { kind: 'absent' };
    } catch (error) {
      if (!req.complete) res.setHeader('Connection', 'close');
      throw error;
    }
    if (req.content.kind === 'text') req.content.signal = closedBeforeAnswer(res);
    return next.handle();
  }
}

/** The `content` of the one-shot import's body, as read by {@link OneShotBodyInterceptor}. */
export const OneShotContent = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): ContentField =>
    ctx.switchToHttp().getRequest<OneShotRequest>().content ?? { kind: 'absent' },
);

import {
  createParamDecorator,
  ExecutionContext,
  HttpStatus,
  Injectable,
  PipeTransform,
} from '@nestjs/common';
import { Request } from 'express';
import { AuthUser, Role } from '../auth/permissions';
import { ApiException } from '../common/http/api.exception';
import { CourierCustomersService } from '../courier-customers/courier-customers.service';
import { CsvUploadFile } from '../import-session/csv-upload';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TargetCourierRequest {
  user: AuthUser;
  /** `target_courier_id` as sent, if it was. */
  sent?: string;
}

/** The caller and the `target_courier_id` form field of a courier upload (read after the upload). */
export const TargetCourier = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): TargetCourierRequest => {
    const req = ctx.switchToHttp().getRequest<Request & { user: AuthUser; csv?: CsvUploadFile }>();
    const sent = req.csv?.fields.target_courier_id;
    return { user: req.user, sent: typeof sent === 'string' && sent.trim() !== '' ? sent.trim() : undefined };
  },
);

/**
 * Resolves the courier a courier upload is for (API.md §6): a courier user's own, whatever it sent; for
 * admin and manager the `target_courier_id` they must send (missing → 400, unknown → 404). The handler
 * receives the resolved courier id.
 */
@Injectable()
export class ResolveTargetCourierPipe implements PipeTransform<TargetCourierRequest, Promise<string>> {
  constructor(private readonly couriers: CourierCustomersService) {}

  async transform({ user, sent }: TargetCourierRequest): Promise<string> {
    if (user.role === Role.Courier && user.courierId) {
      await this.couriers.assertCourierAccess(user, user.courierId);
      return user.courierId;
    }
    if (!sent) {
      throw new ApiException(
        HttpStatus.BAD_REQUEST,
        'target_courier_id is required for admin and manager users',
        {
          errors: [{ field: 'target_courier_id', message: 'required' }],
        },
      );
    }
    if (!UUID.test(sent)) {
      throw new ApiException(HttpStatus.BAD_REQUEST, 'target_courier_id must be a UUID', {
        errors: [{ field: 'target_courier_id', message: 'invalid_format' }],
      });
    }
    await this.couriers.assertCourierAccess(user, sent);
    return sent.toLowerCase();
  }
}

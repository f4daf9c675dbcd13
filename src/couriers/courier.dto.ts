import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';

export class CreateCourierDto {
  /** The courier's display name. @example "Swift Riders" */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  name: string;
}

export class CourierDto {
  /** @example 6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11 */
  id: string;
  /** @example "Swift Riders" */
  name: string;
}

import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsEmail,
  IsEnum,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { Role } from '../auth/permissions';

const lowerTrim = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim().toLowerCase() : value;

export class CreateUserDto {
  /** @example manager@example.com */
  @Transform(lowerTrim)
  @IsEmail()
  @MaxLength(320)
  email: string;

  /** At least 8 characters. @example correct-horse-battery */
  @IsString()
  @MinLength(8)
  @MaxLength(200)
  password: string;

  /** `admin`, `manager` or `courier`. @example courier */
  @IsEnum(Role)
  role: Role;

  /**
   * Required for (and only for) the courier role: an existing courier's id.
   * @example 6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11
   */
  @IsOptional()
  @IsUUID()
  courier_id?: string;
}

/**
 * What an admin may change of an account. Every change ends the user's tokens at once: the user logs in
 * again (with the new role, or not at all when disabled).
 */
export class UpdateUserDto {
  /** `admin`, `manager` or `courier`. @example manager */
  @IsOptional()
  @IsEnum(Role)
  role?: Role;

  /**
   * The courier of a courier user (required when the role becomes `courier`); null for the other roles.
   * @example 6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11
   */
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsUUID()
  courier_id?: string | null;

  /** A disabled user cannot log in, and its tokens are refused. @example true */
  @IsOptional()
  @IsBoolean()
  disabled?: boolean;
}

export class UserDto {
  /** @example 9c1b7f4e-3a2d-4e8f-b6a1-2d4c5e6f7a8b */
  id: string;
  /** @example rider@example.com */
  email: string;
  /** @example courier */
  role: Role;
  /** The courier account of a courier user; null for the other roles. @example 6f1c1a52-8d2e-4c55-9f5c-3f0a1f3e2b11 */
  courier_id: string | null;
  /** A disabled user cannot log in, and its tokens are refused. @example false */
  disabled: boolean;
  /** @example 2025-11-22T09:30:00.000Z */
  created_at: Date;
}

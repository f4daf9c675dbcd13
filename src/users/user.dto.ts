import { Transform } from 'class-transformer';
import { IsEmail, IsEnum, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
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

  @IsEnum(Role)
  role: Role;

  /** Required for (and only for) the courier role: an existing courier's id. */
  @IsOptional()
  @IsUUID()
  courier_id?: string;
}

export class UserDto {
  id: string;
  email: string;
  role: Role;
  courier_id: string | null;
  created_at: Date;
}

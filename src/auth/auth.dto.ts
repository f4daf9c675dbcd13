import { IsString, MaxLength, MinLength } from 'class-validator';

export class LoginDto {
  /** @example admin@example.com */
  @IsString()
  @MinLength(1)
  @MaxLength(320)
  email: string;

  /** @example change-me-now */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  password: string;
}

export class TokenDto {
  /**
   * The bearer token to send as `Authorization: Bearer <access_token>`.
   * @example "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYWRtaW4ifQ.c2lnbmF0dXJl"
   */
  access_token: string;
  /** @example Bearer */
  token_type: 'Bearer';
  /** Lifetime of the token in seconds. @example 3600 */
  expires_in: number;
}

import { Body, Controller, HttpCode, Ip, Post, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { ApiAnswer, ApiError, ApiValidationError } from '../common/decorators/api-docs.decorators';
import { Public } from '../common/decorators/auth.decorators';
import { LoginDto, TokenDto } from './auth.dto';
import { AuthService } from './auth.service';
import { LoginThrottle, TooManyLoginAttempts } from './login-throttle';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly service: AuthService,
    private readonly throttle: LoginThrottle,
  ) {}

  /** Exchanges an email and a password for a bearer token. */
  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiAnswer(200, { description: 'A bearer token', schema: TokenDto })
  @ApiValidationError('email', 'email must be a string')
  @ApiError(401, 'Wrong email or password (the same answer for both)', 'invalid email or password')
  @ApiError(
    429,
    'Too many login attempts for this account or from this address',
    'too many requests, try again later',
  )
  async login(
    @Body() dto: LoginDto,
    @Ip() address: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TokenDto> {
    try {
      await this.throttle.hit(dto.email, address);
    } catch (error) {
      if (error instanceof TooManyLoginAttempts)
        res.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
    return this.service.login(dto);
  }
}

import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { ApiAnswer, ApiError, ApiValidationError } from '../common/decorators/api-docs.decorators';
import { Public } from '../common/decorators/auth.decorators';
import { LoginDto, TokenDto } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly service: AuthService) {}

  /** Exchanges an email and a password for a bearer token. */
  @Post('login')
  @Public()
  @HttpCode(200)
  @UseGuards(ThrottlerGuard)
  @ApiAnswer(200, { description: 'A bearer token', schema: TokenDto })
  @ApiValidationError('email', 'email must be a string')
  @ApiError(401, 'Wrong email or password (the same answer for both)', 'invalid email or password')
  @ApiError(429, 'Too many login attempts from this address', 'too many requests, try again later')
  login(@Body() dto: LoginDto): Promise<TokenDto> {
    return this.service.login(dto);
  }
}

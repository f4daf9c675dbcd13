import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
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
  @ApiOkResponse({ type: TokenDto })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password (the same answer for both)' })
  @ApiTooManyRequestsResponse({ description: 'Too many login attempts from this address' })
  login(@Body() dto: LoginDto): Promise<TokenDto> {
    return this.service.login(dto);
  }
}

import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/config';
import { verifyPassword } from '../users/password';
import { UsersService } from '../users/users.service';
import { LoginDto, TokenDto } from './auth.dto';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from './jwt.strategy';
import { AuthUser } from './permissions';

@Injectable()
export class AuthService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersService,
    private readonly jwt: JwtService,
  ) {}

  /** Exchanges an email and password for a token. Unknown email and wrong password answer alike. */
  async login(dto: LoginDto): Promise<TokenDto> {
    const user = await this.users.findForLogin(dto.email);
    if (!(await verifyPassword(dto.password, user?.passwordHash)) || !user || user.disabledAt !== null) {
      throw new UnauthorizedException('invalid email or password');
    }
    return this.issue({
      id: user.id,
      role: user.role,
      courierId: user.courierId,
      email: user.email,
      tokenVersion: user.tokenVersion,
    });
  }

  issue(user: AuthUser): TokenDto {
    const expiresIn = this.config.jwt.expiresIn;
    const claims = {
      role: user.role,
      courier_id: user.courierId ?? undefined,
      email: user.email,
      ver: user.tokenVersion ?? 0,
    };
    const access_token = this.jwt.sign(claims, {
      subject: user.id,
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      expiresIn,
      algorithm: 'HS256',
      secret: this.config.jwt.secret,
    });
    return { access_token, token_type: 'Bearer', expires_in: expiresIn };
  }
}

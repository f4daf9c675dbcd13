import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../config/config';
import { hashPassword, isLegacyHash, verifyPassword } from '../users/password';
import { passwordTooLong } from '../users/password-policy';
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
    // bcrypt would compare only the first 72 bytes: a longer password never matches.
    const matches = await verifyPassword(dto.password, user?.passwordHash);
    if (!matches || !user || user.disabledAt !== null || passwordTooLong(dto.password)) {
      throw new UnauthorizedException('invalid email or password');
    }
    if (isLegacyHash(user.passwordHash)) {
      await this.users.setPasswordHash(user.id, await hashPassword(dto.password));
    }
    return this.issue(
      { id: user.id, role: user.role, courierId: user.courierId, email: user.email },
      user.tokenVersion,
    );
  }

  /** Signs a token for the user; `tokenVersion` is the user's current users.token_version. */
  issue(user: AuthUser, tokenVersion: number): TokenDto {
    const expiresIn = this.config.jwt.expiresIn;
    const claims = {
      role: user.role,
      courier_id: user.courierId ?? undefined,
      email: user.email,
      ver: tokenVersion,
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

import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Request } from 'express';
import { createSecretKey } from 'node:crypto';
import { passportJwtSecret } from 'jwks-rsa';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AuthUser, ROLES, Role } from './permissions';

/** Issuer and audience of the tokens this service signs itself. */
export const LOCAL_ISSUER = 'rowgate';
export const LOCAL_AUDIENCE = 'rowgate-api';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface TokenClaims {
  sub?: unknown;
  role?: unknown;
  courier_id?: unknown;
  email?: unknown;
  iss?: unknown;
  aud?: unknown;
  exp?: unknown;
  iat?: unknown;
  ver?: unknown;
}

type KeyCallback = (error: Error | null, key?: string | Buffer) => void;

function tokenAlgorithm(rawToken: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(rawToken.split('.')[0], 'base64url').toString('utf8')) as {
      alg?: unknown;
    };
    return typeof header.alg === 'string' ? header.alg : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies bearer tokens. HS256 tokens are verified with JWT_SECRET and must be this service's own
 * (issuer `rowgate`). When JWT_JWKS_URI is set, RS256 tokens are verified with the identity provider's
 * keys and must carry JWT_ISSUER and JWT_AUDIENCE. The key is chosen by the token's `alg`, and each key is
 * only ever used with its own algorithm, so an HS256 token "signed" with a public key never verifies.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const { secret, jwksUri } = config.jwt;
    // A key object, made once: given the secret as a string, the verifier first tries to read it as a
    // public key on every request, which costs more CPU than the rest of the verification.
    // (passport-jwt's types name strings and buffers only; it hands the key to jsonwebtoken, which takes it.)
    const secretKey = createSecretKey(Buffer.from(secret, 'utf8')) as unknown as Buffer;
    const jwks = jwksUri
      ? passportJwtSecret({ jwksUri, cache: true, rateLimit: true, jwksRequestsPerMinute: 10 })
      : undefined;
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      algorithms: jwks ? ['HS256', 'RS256'] : ['HS256'],
      ignoreExpiration: false,
      passReqToCallback: true,
      secretOrKeyProvider: (request: Request, rawToken: string, done: KeyCallback) => {
        const alg = tokenAlgorithm(rawToken);
        if (alg === 'HS256') return done(null, secretKey);
        if (alg === 'RS256' && jwks) return jwks(request, rawToken, done);
        return done(new UnauthorizedException());
      },
    });
  }

  validate(request: Request, claims: TokenClaims): AuthUser {
    const rawToken = ExtractJwt.fromAuthHeaderAsBearerToken()(request) ?? '';
    const external = tokenAlgorithm(rawToken) === 'RS256';
    const issuer = external ? this.config.jwt.issuer : LOCAL_ISSUER;
    const audience = external ? this.config.jwt.audience : LOCAL_AUDIENCE;
    const audiences = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
    if (claims.iss !== issuer || !audiences.includes(audience)) throw new UnauthorizedException();
    // A token without an expiry would be valid forever.
    if (typeof claims.exp !== 'number') throw new UnauthorizedException();
    if (typeof claims.sub !== 'string' || claims.sub === '') throw new UnauthorizedException();
    if (!ROLES.includes(claims.role as Role)) throw new UnauthorizedException();
    const role = claims.role as Role;
    let courierId: string | null = null;
    if (role === Role.Courier) {
      if (typeof claims.courier_id !== 'string' || !UUID.test(claims.courier_id))
        throw new UnauthorizedException();
      courierId = claims.courier_id.toLowerCase();
    }
    const user: AuthUser = {
      id: claims.sub,
      role,
      courierId,
      email: typeof claims.email === 'string' ? claims.email : undefined,
    };
    if (!external) this.checkLocalClaims(claims, user);
    return user;
  }

  /**
   * A token of this service has a bounded lifetime and names the version of its user's account it was
   * issued for (`ver`); {@link ActiveUserGuard} checks the account itself on every request.
   */
  private checkLocalClaims(claims: TokenClaims, user: AuthUser): void {
    // Without iat, what is left of the token's life is bounded instead.
    const issuedAt = typeof claims.iat === 'number' ? claims.iat : Math.floor(Date.now() / 1000);
    const lifetime = (claims.exp as number) - issuedAt;
    if (lifetime > this.config.jwt.maxLifetime) throw new UnauthorizedException();
    if (!UUID.test(user.id) || typeof claims.ver !== 'number') throw new UnauthorizedException();
    user.tokenVersion = claims.ver;
  }
}

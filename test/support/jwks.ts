import { createHmac, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

/** An RSA key pair as an identity provider holds it: the private key signs, the JWKS publishes the public one. */
export interface RsaKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as PEM (SPKI), what an attacker can read from the JWKS. */
  publicPem: string;
}

export function rsaKey(kid: string = randomUUID()): RsaKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** A tiny identity provider: `GET /jwks.json` answers the public keys, on 127.0.0.1 and a free port. */
export interface JwksServer {
  url: string;
  key: RsaKey;
  close(): Promise<void>;
}

export async function startJwksServer(key: RsaKey = rsaKey()): Promise<JwksServer> {
  const jwk = { ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg: 'RS256', use: 'sig' };
  const server: Server = createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    key,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface TokenOptions {
  issuer: string;
  audience: string | string[];
  subject?: string;
  expiresIn?: number;
}

/** An RS256 token signed with the key, naming it by `kid`. */
export function signRs256(key: RsaKey, claims: Record<string, unknown>, options: TokenOptions): string {
  return jwt.sign(claims, key.privateKey, {
    algorithm: 'RS256',
    keyid: key.kid,
    issuer: options.issuer,
    audience: options.audience,
    subject: options.subject ?? randomUUID(),
    expiresIn: options.expiresIn ?? 300,
  });
}

/**
 * An HS256 token whose HMAC key is `secret`, built by hand (jsonwebtoken refuses to sign HS256 with an RSA
 * public key, which is exactly what the algorithm-confusion attack does).
 */
export function signHs256(secret: string | Buffer, payload: Record<string, unknown>, kid?: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'HS256', typ: 'JWT', ...(kid ? { kid } : {}) };
  const data = `${part(header)}.${part({ iat: now, exp: now + 300, ...payload })}`;
  return `${data}.${createHmac('sha256', secret).update(data).digest('base64url')}`;
}

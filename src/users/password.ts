import { randomBytes, scrypt, ScryptOptions, scryptSync, timingSafeEqual } from 'node:crypto';
import { compare } from 'bcryptjs';

/**
 * Passwords are hashed with scrypt from node:crypto, which runs in libuv's thread pool, never on the event
 * loop: a burst of logins does not stall other requests. Hashes made by earlier versions with bcrypt are
 * still verified (that one comparison runs on the event loop) and replaced by a scrypt hash on the next
 * successful login.
 */
const PARAMS = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } satisfies ScryptOptions;
const KEY_BYTES = 32;
const PREFIX = `$scrypt$N=${PARAMS.N},r=${PARAMS.r},p=${PARAMS.p}$`;

const scryptAsync = (password: string, salt: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, PARAMS, (error, key) => (error ? reject(error) : resolve(key))),
  );

const format = (salt: Buffer, key: Buffer) => `${PREFIX}${salt.toString('base64')}$${key.toString('base64')}`;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return format(salt, await scryptAsync(password, salt));
}

/** A hash made by an earlier version (bcrypt), to be replaced on the next successful login. */
export const isLegacyHash = (passwordHash: string): boolean => passwordHash.startsWith('$2');

/** Compared against when the email is unknown, so that a wrong email takes as long as a wrong password. */
const DUMMY_SALT = randomBytes(16);
const DUMMY_HASH = format(
  DUMMY_SALT,
  scryptSync(randomBytes(16).toString('hex'), DUMMY_SALT, KEY_BYTES, PARAMS),
);

async function matches(password: string, passwordHash: string): Promise<boolean> {
  if (isLegacyHash(passwordHash)) return compare(password, passwordHash);
  if (!passwordHash.startsWith(PREFIX)) return false;
  const [salt, key] = passwordHash.slice(PREFIX.length).split('$');
  if (!salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await scryptAsync(password, Buffer.from(salt, 'base64'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export const verifyPassword = async (password: string, passwordHash: string | undefined): Promise<boolean> =>
  (await matches(password, passwordHash ?? DUMMY_HASH)) && passwordHash !== undefined;

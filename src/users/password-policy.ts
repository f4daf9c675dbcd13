import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** bcrypt reads only this many bytes of a password; a longer one is refused rather than cut. */
export const MAX_PASSWORD_BYTES = 72;
export const MIN_PASSWORD_CHARS = 8;

let common: Set<string> | undefined;

/** The common-password list shipped with the service (see common-passwords/LICENSE.txt), loaded once. */
function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(join(__dirname, 'common-passwords', 'passwords.txt'), 'utf8')
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter((line) => line !== ''),
  );
  return common;
}

export const passwordTooLong = (password: string): boolean =>
  Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES;

/**
 * Why a new password is refused, or undefined when it is acceptable (NIST SP 800-63B §5.1.1.2): at least
 * 8 characters, at most 72 bytes in UTF-8, not a single repeated character, and not on the list of
 * common passwords (compared without case).
 */
export function passwordProblem(password: string): string | undefined {
  if ([...password].length < MIN_PASSWORD_CHARS)
    return `password must be at least ${MIN_PASSWORD_CHARS} characters long`;
  if (passwordTooLong(password)) return `password must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8`;
  if (new Set(password).size === 1) return 'password must not be one character repeated';
  if (commonPasswords().has(password.toLowerCase())) return 'password is too common: choose another';
  return undefined;
}

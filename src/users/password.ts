import { randomBytes } from 'node:crypto';
import { compare, hash, hashSync } from 'bcryptjs';

const COST = 10;

export const hashPassword = (password: string) => hash(password, COST);

/** Compared against when the email is unknown, so that a wrong email takes as long as a wrong password. */
const DUMMY_HASH = hashSync(randomBytes(16).toString('hex'), COST);

export const verifyPassword = async (password: string, passwordHash: string | undefined): Promise<boolean> =>
  (await compare(password, passwordHash ?? DUMMY_HASH)) && passwordHash !== undefined;

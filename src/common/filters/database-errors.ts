const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True for errors that mean "PostgreSQL cannot be reached right now" (refused or dropped connections,
 * server shutdown, connection timeouts) as opposed to errors in a query.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const withCode = error as Error & { code?: string; syscall?: string; driverError?: unknown };
  if (withCode.driverError && withCode.driverError !== error && isDatabaseUnavailable(withCode.driverError)) {
    return true;
  }
  const code = withCode.code ?? '';
  if (CONNECTION_CODES.has(code)) return true;
  // A Unix-domain socket that is not there: the server is down (it removes its socket when it stops).
  if (code === 'ENOENT' && withCode.syscall === 'connect') return true;
  // SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, crash).
  if (/^08/.test(code) || /^57P0[1-4]$/.test(code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}

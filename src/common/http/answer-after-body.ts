import { NextFunction, Request, Response } from 'express';

/** A body up to this size is read to its end before an error answer that came first. */
const SMALL_BODY_BYTES = 1024 * 1024;
/** The longest an error answer waits for the rest of a small body. */
const WAIT_MS = 2000;

/**
 * An error answered before the request body was read (a refused token, a database that is down) would close
 * the connection under a client still sending, which then sees a reset instead of the answer. A small body
 * (declared, at most 1 MiB) is read to its end first, for at most two seconds; a large one is not: answering
 * it unread is the point (README, Security).
 */
export function answerAfterSmallBody(req: Request, res: Response, next: NextFunction): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  res.end = ((...args: unknown[]) => {
    const length = Number(req.headers['content-length']);
    if (res.statusCode < 400 || req.complete || !(length > 0 && length <= SMALL_BODY_BYTES))
      return end(...args);
    let sent = false;
    const send = () => {
      if (sent) return;
      sent = true;
      clearTimeout(timer);
      end(...args);
    };
    const timer = setTimeout(send, WAIT_MS);
    req.once('end', send).once('close', send).once('error', send);
    req.resume();
    return res;
  }) as Response['end'];
  next();
}

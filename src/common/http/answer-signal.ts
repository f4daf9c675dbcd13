import { Response } from 'express';

/**
 * A signal aborted when the connection closes before the answer was sent: the client went away, and work
 * done for its answer can stop.
 */
export function closedBeforeAnswer(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

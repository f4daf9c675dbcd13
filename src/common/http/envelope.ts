/** The JSON envelope of every answer outside the one-shot and courier imports (API.md §7). */
export interface Envelope<T> {
  code: number;
  message: string;
  data: T;
}

export const envelope = <T>(data: T, message = 'ok', code = 200): Envelope<T> => ({ code, message, data });

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

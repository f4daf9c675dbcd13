/**
 * Strings PostgreSQL cannot store, or would store altered: a NUL character (refused by `text`) and a lone
 * UTF-16 surrogate (turned into U+FFFD on the way to UTF-8). Both are refused with a 400 naming the field.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export interface UnsafeString {
  field: string;
  message: 'nul_character' | 'lone_surrogate';
}

function check(value: string, field: string): UnsafeString | undefined {
  if (value.includes('\u0000')) return { field, message: 'nul_character' };
  if (LONE_SURROGATE.test(value)) return { field, message: 'lone_surrogate' };
  return undefined;
}

/**
 * The first string in `value` (a parsed JSON body or a query object) that cannot be stored, with its
 * dotted path. Keys are checked as well as values. The walk keeps its own stack, so a deeply nested body
 * cannot overflow the call stack.
 */
export function findUnsafeString(value: unknown): UnsafeString | undefined {
  const pending: [unknown, string][] = [[value, '']];
  while (pending.length > 0) {
    const [current, path] = pending.pop() as [unknown, string];
    if (typeof current === 'string') {
      const found = check(current, path || 'body');
      if (found) return found;
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    const entries: [string, unknown][] = Array.isArray(current)
      ? current.map((item, index): [string, unknown] => [String(index), item])
      : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i];
      const field = path ? `${path}.${key}` : key;
      const found = check(key, field);
      if (found) return found;
      pending.push([item, field]);
    }
  }
  return undefined;
}

export const unsafeStringMessage = ({ field, message }: UnsafeString): string =>
  message === 'nul_character'
    ? `${field} must not contain a NUL character`
    : `${field} must not contain a lone UTF-16 surrogate`;

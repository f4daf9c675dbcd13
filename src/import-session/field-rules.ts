/**
 * Field rules shared by the CSV imports and the REST endpoints, so that a value the API refuses is refused
 * by an import with the same stable code (API.md §3): `required`, `too_long`, `invalid_format`,
 * `invalid_value`.
 */
export type FieldCode = 'required' | 'too_long' | 'invalid_format' | 'invalid_value';

export interface FieldError {
  field: string;
  message: string;
  values?: string[];
  candidates?: unknown[];
}

export interface FieldRule {
  field: string;
  required?: boolean;
  /** Maximum length in characters (code points), not bytes. */
  maxChars?: number;
  /** The value must match, else `invalid_format`. */
  format?: RegExp;
  /** Allowed values after `lowerCase`, else `invalid_value`. */
  oneOf?: readonly string[];
  lowerCase?: boolean;
  /** The value used when the cell is empty. */
  fallback?: string;
}

/** Length in characters: a surrogate pair counts once. */
export function charLength(value: string): number {
  let length = value.length;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) {
      length--;
      i++;
    }
  }
  return length;
}

export type FieldValues = Record<string, string | null>;

/**
 * Checks one value against its rule: trimmed, lower-cased if the rule says so, the fallback for an empty
 * value. Writes the normalised value (null when empty) to `out[at]` and pushes the error, if any, to
 * `errors`. Allocation-free on the happy path: the CSV imports call it for every cell of every row.
 */
export function checkValue(
  rule: FieldRule,
  raw: string,
  out: (string | null)[],
  at: number,
  errors: FieldError[],
): void {
  let text = raw.trim();
  if (rule.lowerCase) text = text.toLowerCase();
  if (text === '' && rule.fallback !== undefined) text = rule.fallback;
  if (text === '') {
    out[at] = null;
    if (rule.required) errors.push({ field: rule.field, message: 'required' });
    return;
  }
  out[at] = text;
  // A string of at most maxChars UTF-16 units has at most maxChars characters: count only longer ones.
  if (rule.maxChars !== undefined && text.length > rule.maxChars && charLength(text) > rule.maxChars) {
    errors.push({ field: rule.field, message: 'too_long' });
  } else if (rule.format && !rule.format.test(text)) {
    errors.push({ field: rule.field, message: 'invalid_format' });
  } else if (rule.oneOf && !rule.oneOf.includes(text)) {
    errors.push({ field: rule.field, message: 'invalid_value' });
  }
}

/**
 * Checks and normalises a record: values are trimmed, empty optional values become null (or the rule's
 * fallback). Answers every error, in rule order.
 */
export function checkFields(
  rules: readonly FieldRule[],
  input: Record<string, unknown>,
): { value: FieldValues; errors: FieldError[] } {
  const values: (string | null)[] = new Array<string | null>(rules.length);
  const errors: FieldError[] = [];
  rules.forEach((rule, i) => {
    const raw = input[rule.field];
    const text =
      typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : '';
    checkValue(rule, text, values, i, errors);
  });
  const value: FieldValues = {};
  rules.forEach((rule, i) => (value[rule.field] = values[i]));
  return { value, errors };
}

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
 * Checks and normalises a record: values are trimmed, empty optional values become null (or the rule's
 * fallback). Answers every error, in rule order.
 */
export function checkFields(
  rules: readonly FieldRule[],
  input: Record<string, unknown>,
): { value: FieldValues; errors: FieldError[] } {
  const value: FieldValues = {};
  const errors: FieldError[] = [];
  for (const rule of rules) {
    const raw = input[rule.field];
    let text =
      typeof raw === 'string'
        ? raw.trim()
        : typeof raw === 'number' || typeof raw === 'boolean'
          ? String(raw)
          : '';
    if (rule.lowerCase) text = text.toLowerCase();
    if (text === '' && rule.fallback !== undefined) text = rule.fallback;
    if (text === '') {
      value[rule.field] = null;
      if (rule.required) errors.push({ field: rule.field, message: 'required' });
      continue;
    }
    value[rule.field] = text;
    if (rule.maxChars !== undefined && charLength(text) > rule.maxChars) {
      errors.push({ field: rule.field, message: 'too_long' });
    } else if (rule.format && !rule.format.test(text)) {
      errors.push({ field: rule.field, message: 'invalid_format' });
    } else if (rule.oneOf && !rule.oneOf.includes(text)) {
      errors.push({ field: rule.field, message: 'invalid_value' });
    }
  }
  return { value, errors };
}

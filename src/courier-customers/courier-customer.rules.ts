import { checkFields, FieldRule } from '../import-session/field-rules';

/**
 * The field rules of a courier customer, shared by the REST endpoints and the courier CSV import (API.md §6),
 * so that both refuse the same values with the same codes. The migration's CHECK constraints hold the same caps.
 */

/** Maximum lengths, in characters (code points), not bytes. */
export const COURIER_CUSTOMER_LIMITS = {
  user_code: 64,
  first_name: 255,
  last_name: 255,
  branch: 255,
} as const;

export type CourierCustomerField = keyof typeof COURIER_CUSTOMER_LIMITS;

export type CourierCustomerFieldCode = 'required' | 'too_long';

export interface CourierCustomerInput {
  user_code?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  branch?: string | null;
}

export interface CourierCustomerValue {
  user_code: string;
  first_name: string;
  last_name: string;
  branch: string | null;
}

export interface CourierCustomerFieldError {
  field: string;
  message: CourierCustomerFieldCode;
}

export const COURIER_CUSTOMER_RULES: readonly FieldRule[] = [
  { field: 'user_code', required: true, maxChars: COURIER_CUSTOMER_LIMITS.user_code },
  { field: 'first_name', required: true, maxChars: COURIER_CUSTOMER_LIMITS.first_name },
  { field: 'last_name', required: true, maxChars: COURIER_CUSTOMER_LIMITS.last_name },
  { field: 'branch', maxChars: COURIER_CUSTOMER_LIMITS.branch },
];

/**
 * Checks and normalises a courier customer: every value is trimmed, an empty branch becomes null. Answers
 * every error in field order: `required` (user_code, first_name, last_name empty or missing) and `too_long`.
 * A required value that is missing is answered as `''` in `value`.
 */
export function checkCourierCustomer(input: CourierCustomerInput): {
  value: CourierCustomerValue;
  errors: CourierCustomerFieldError[];
} {
  const { value, errors } = checkFields(COURIER_CUSTOMER_RULES, { ...input });
  return {
    value: {
      user_code: value.user_code ?? '',
      first_name: value.first_name ?? '',
      last_name: value.last_name ?? '',
      branch: value.branch,
    },
    // These rules have neither a format nor a list of values: only `required` and `too_long` can occur.
    errors: errors.map((error) => ({
      field: error.field,
      message: error.message as CourierCustomerFieldCode,
    })),
  };
}

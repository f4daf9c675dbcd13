import { FieldRule } from '../import-session/field-rules';

/** The columns of a customer or a distributor, in template order (API.md §4). */
export const ORGANIZATION_FIELDS = [
  'company_name',
  'description',
  'vat_number',
  'address',
  'city',
  'main_contact',
  'email',
  'phone',
  'language',
  'notes',
] as const;

export type OrganizationField = (typeof ORGANIZATION_FIELDS)[number];

export const LANGUAGES = ['it', 'en'] as const;

const EMAIL = /^(?=.{3,254}$)[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+[\d\s\-()]{7,20}$/;

export const ORGANIZATION_RULES: readonly FieldRule[] = [
  { field: 'company_name', required: true, maxChars: 255 },
  { field: 'description', maxChars: 500 },
  { field: 'vat_number', required: true, maxChars: 64 },
  { field: 'address', maxChars: 255 },
  { field: 'city', maxChars: 255 },
  { field: 'main_contact', maxChars: 255 },
  { field: 'email', maxChars: 254, format: EMAIL },
  { field: 'phone', format: PHONE },
  { field: 'language', lowerCase: true, oneOf: LANGUAGES, fallback: 'it' },
  { field: 'notes', maxChars: 1000 },
];

/** The key VATs are compared by: trimmed and lower-cased. */
export const vatKey = (vat: string | null | undefined): string => (vat ?? '').trim().toLowerCase();

/** Empty or all zeros: a VAT that identifies nothing. */
export const isPlaceholderVat = (vat: string | null | undefined): boolean => /^0*$/.test(vatKey(vat));

/** The same key in SQL (used by the generated `vat_key` columns). */
export const VAT_KEY_SQL = 'lower(btrim(vat_number))';

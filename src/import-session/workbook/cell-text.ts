/**
 * A cell's text as Excel shows it for a General cell (API.md §11): numbers without `.0`, exponent or binary
 * noise, dates in ISO 8601, booleans as TRUE/FALSE.
 */

const INTEGER_LITERAL = /^-?\d+$/;

/** Excel keeps 15 significant digits of a computed number. */
const PRECISION = 15;

/** `1.23450000000000e+25` → `12345000000000000000000000`, `1.00000000000000e-7` → `0.000000100000000000000`. */
function plainDecimal(text: string): string {
  const negative = text.startsWith('-');
  const unsigned = negative ? text.slice(1) : text;
  const [mantissa, exponentText] = unsigned.split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (point <= 0) {
    out = `0.${'0'.repeat(-point)}${digits}`;
  } else if (point >= digits.length) {
    out = digits + '0'.repeat(point - digits.length);
  } else {
    out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  }
  if (out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
  out = out.replace(/^0+(?=\d)/, '');
  return negative && out !== '0' ? `-${out}` : out;
}

/**
 * A number cell's text: an integer literal as written (a 16-digit code stays 16 digits), any other value
 * rounded to 15 significant digits and written out in full, without trailing zeros.
 */
export function numberText(raw: string): string {
  const text = raw.trim();
  if (INTEGER_LITERAL.test(text)) return text === '-0' ? '0' : text;
  const value = Number(text);
  if (!Number.isFinite(value)) return text;
  if (Number.isSafeInteger(value)) return String(value);
  return plainDecimal(value.toPrecision(PRECISION));
}

/** Builtin number formats that show a date or a time. */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);

/**
 * Whether a number format shows a date or a time: a builtin date format, or a custom one holding d, m, y, h
 * or s outside quoted text, escapes and brackets (`[Red]`, `[$-410]`).
 */
export function isDateFormat(id: number, code: string | undefined): boolean {
  if (BUILTIN_DATE_FORMATS.has(id)) return true;
  if (code === undefined) return false;
  const section = code.split(';')[0];
  const bare = section
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/_./g, '')
    .replace(/\*./g, '');
  return /[dmyhs]/i.test(bare) && !/^general$/i.test(bare.trim());
}

const DAY_MS = 86_400_000;
/** Day 0 of the 1900 date system, counting Excel's phantom 29 February 1900 (serials from 61 on). */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);

const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/**
 * A date serial in ISO 8601: `2026-12-03`, `2026-12-03T10:30:00` when it has a time of day, `10:30:00` for a
 * time alone. Times are rounded to the second, as Excel shows them.
 */
export function dateText(raw: string, date1904: boolean): string {
  const serial = Number(raw);
  if (!Number.isFinite(serial) || serial < 0 || serial >= 2_958_466) return numberText(raw);
  let days = Math.floor(serial);
  let seconds = Math.round((serial - days) * 86_400);
  if (seconds === 86_400) {
    days += 1;
    seconds = 0;
  }
  const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
  if (days === 0 && seconds > 0) return time;
  // In the 1900 system, serials 1 to 60 count from 31 December 1899 (Excel's 1900 is a leap year).
  const epoch = date1904 ? EPOCH_1904 : days < 61 ? EPOCH_1900 + DAY_MS : EPOCH_1900;
  if (!date1904 && days === 60) return seconds > 0 ? `1900-02-29T${time}` : '1900-02-29';
  const date = new Date(epoch + days * DAY_MS);
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return seconds > 0 ? `${day}T${time}` : day;
}

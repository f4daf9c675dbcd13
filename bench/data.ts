import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ORGANIZATION_FIELDS } from '../src/organizations/organization.rules';

/**
 * The benchmark's CSV files, generated once per row count into `bench/data/` (git-ignored) and reused
 * afterwards. Values are realistic and all valid for the service's rules (API.md §4 and §6), and the same
 * row count always yields the same bytes (a seeded generator). Files are written as a stream, a few thousand
 * lines at a time, to a temporary name that is renamed when complete, so an interrupted run never leaves a
 * truncated file behind to be reused.
 */

export const DATA_DIR = join(__dirname, 'data');

/** Bump when the generated content changes, so that older files are not reused. */
const GENERATOR_VERSION = 2;

/** The customers columns, in template order: the service's own list. */
export const CUSTOMER_COLUMNS = ORGANIZATION_FIELDS;

export const COURIER_COLUMNS = ['user_code', 'first_name', 'last_name', 'branch'] as const;

export interface CsvFile {
  path: string;
  /** Data rows (the header line excluded). */
  rows: number;
  bytes: number;
  /** True when the file already existed and was reused. */
  reused: boolean;
}

/** mulberry32: small, fast and good enough to pick words. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Pick = <T>(list: readonly T[]) => T;

// prettier-ignore
const SURNAMES = [
  'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino', 'Greco',
  'Bruno', 'Gallo', 'Conti', 'De Luca', 'Mancini', 'Costa', 'Giordano', 'Rizzo', 'Lombardi', 'Moretti',
  'Barbieri', 'Fontana', 'Santoro', 'Mariani', 'Rinaldi', 'Caruso', 'Ferrara', 'Galli', 'Martini', 'Leone',
] as const;
// prettier-ignore
const FIRST_NAMES = [
  'Marco', 'Giulia', 'Luca', 'Francesca', 'Andrea', 'Chiara', 'Matteo', 'Sara', 'Alessandro', 'Valentina',
  'Davide', 'Elena', 'Simone', 'Federica', 'Paolo', 'Martina', 'Stefano', 'Laura', 'Giorgio', 'Anna',
] as const;
// prettier-ignore
const SECTORS = [
  'Logistica', 'Trasporti', 'Alimentari', 'Meccanica', 'Costruzioni', 'Tessile', 'Informatica',
  'Arredamenti', 'Elettronica', 'Imballaggi', 'Ceramiche', 'Distribuzione', 'Software', 'Vini',
] as const;
const LEGAL_FORMS = ['Srl', 'Spa', 'Snc', 'Sas', 'S.r.l.', 'Ltd'] as const;
const DESCRIPTIONS = [
  'Ingrosso alimentari',
  'Wholesale of electronic components',
  'Componenti meccanici di precisione',
  'Trasporto merci, anche refrigerate',
  'Materiali edili e ferramenta',
  'IT services and software',
  'Imballaggi "premium" in cartone',
  'Vini e prodotti tipici',
  'Arredamento per uffici, negozi',
] as const;
// prettier-ignore
const STREETS = [
  'Via Roma', 'Via Garibaldi', 'Corso Italia', 'Via Mazzini', 'Viale Europa', 'Via Dante Alighieri',
  'Piazza della Repubblica', 'Via Verdi', 'Via Cavour', 'Strada Provinciale 11', 'Via dell\u2019Industria',
] as const;
// prettier-ignore
const CITIES = [
  'Milano', 'Roma', 'Torino', 'Napoli', 'Bologna', 'Firenze', 'Genova', 'Verona', 'Padova', 'Bari',
  'Brescia', 'Bergamo', 'Reggio Emilia', 'Forlì', 'Treviso', 'Vicenza',
] as const;
const AREA_CODES = ['02', '06', '011', '081', '051', '055', '010', '045', '049', '080'] as const;
const NOTES = [
  '',
  '',
  '',
  'Pagamento a 60 giorni',
  'Consegna solo al mattino',
  'Cliente dal 2015',
  'Preferisce contatto via email',
  'Sconto 5% su ordini sopra 1.000 €',
] as const;
const BRANCHES = ['', 'Milano Nord', 'Milano Sud', 'Roma Est', 'Torino', 'Bologna Centro', 'Napoli'] as const;

/** RFC 4180: quote a value holding a delimiter, a quote or a line break; double its quotes. */
function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '');

/** Unique VATs: `IT` and 11 digits, the file's base plus the row index. */
const vat = (base: number, index: number) => `IT${String(base + index).padStart(11, '0')}`;

function customerLine(pick: Pick, rnd: () => number, vatBase: number, index: number, edited = false): string {
  const surname = pick(SURNAMES);
  const sector = pick(SECTORS);
  const form = pick(LEGAL_FORMS);
  // One company in ten is a partnership whose name holds a comma, so it is quoted.
  const company = rnd() < 0.1 ? `${surname}, ${pick(SURNAMES)} & C. ${form}` : `${surname} ${sector} ${form}`;
  const first = pick(FIRST_NAMES);
  const contactSurname = pick(SURNAMES);
  const domain = `${slug(surname)}${slug(sector).slice(0, 4)}.it`;
  const area = pick(AREA_CODES);
  const number = String(1_000_000 + Math.floor(rnd() * 8_999_999));
  const values = [
    company,
    pick(DESCRIPTIONS),
    vat(vatBase, index),
    `${pick(STREETS)} ${1 + Math.floor(rnd() * 200)}`,
    pick(CITIES),
    `${first} ${contactSurname}`,
    `${slug(first)}.${slug(contactSurname)}@${domain}`,
    `+39 ${area} ${number.slice(0, 3)} ${number.slice(3)}`,
    rnd() < 0.2 ? 'en' : 'it',
    edited ? `${pick(NOTES)} (revised)` : pick(NOTES),
  ];
  return values.map(cell).join(',');
}

function courierLine(pick: Pick, index: number): string {
  const values = [
    `U${String(index + 1).padStart(8, '0')}`,
    pick(FIRST_NAMES),
    pick(SURNAMES),
    pick(BRANCHES),
  ];
  return values.map(cell).join(',');
}

const LINES_PER_CHUNK = 2000;

/** Writes `header` and `rows` lines made by `line`, streaming, unless the file already exists. */
async function ensureFile(
  name: string,
  header: readonly string[],
  rows: number,
  seed: number,
  line: (pick: Pick, rnd: () => number, index: number) => string,
): Promise<CsvFile> {
  mkdirSync(DATA_DIR, { recursive: true });
  const path = join(DATA_DIR, name);
  if (existsSync(path)) return { path, rows, bytes: statSync(path).size, reused: true };
  const rnd = random(seed);
  const pick: Pick = (list) => list[Math.floor(rnd() * list.length)];
  function* chunks(): Generator<string> {
    yield `${header.join(',')}\r\n`;
    for (let start = 0; start < rows; start += LINES_PER_CHUNK) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(rows, start + LINES_PER_CHUNK); i++) lines.push(line(pick, rnd, i));
      yield `${lines.join('\r\n')}\r\n`;
    }
  }
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await pipeline(Readable.from(chunks()), createWriteStream(temporary));
    renameSync(temporary, path);
  } finally {
    rmSync(temporary, { force: true });
  }
  return { path, rows, bytes: statSync(path).size, reused: false };
}

/**
 * Customers with every column, valid values and VATs unique within the file (and across files). `changed` is
 * the main file with one field (`notes`) different on every row.
 */
export function customersFile(rows: number, kind: 'main' | 'one-shot' | 'changed'): Promise<CsvFile> {
  const vatBase = kind === 'one-shot' ? 20_000_000_000 : 10_000_000_000;
  const name = `customers${kind === 'main' ? '' : `-${kind}`}-v${GENERATOR_VERSION}-${rows}.csv`;
  return ensureFile(name, CUSTOMER_COLUMNS, rows, kind === 'one-shot' ? 2 : 1, (pick, rnd, index) =>
    customerLine(pick, rnd, vatBase, index, kind === 'changed'),
  );
}

/** Courier customers: positional `user_code,first_name,last_name,branch` after a header line. */
export function courierFile(rows: number): Promise<CsvFile> {
  return ensureFile(
    `courier-customers-v${GENERATOR_VERSION}-${rows}.csv`,
    COURIER_COLUMNS,
    rows,
    3,
    (pick, _rnd, index) => courierLine(pick, index),
  );
}

/** The file as a stream of chunks, for uploads and COPY. */
export const readChunks = (file: CsvFile) => createReadStream(file.path, { highWaterMark: 256 * 1024 });

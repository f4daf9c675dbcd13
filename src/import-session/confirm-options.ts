import { ConfirmOptions } from './import-definition';
import { ConfirmImportDto } from './import.dto';
import { ImportException, ImportExceptionCode } from './import.exception';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The confirm options of a request, with every resolution checked for shape (row number → uuid). */
export function confirmOptions(dto: ConfirmImportDto): ConfirmOptions {
  const resolutions: Record<string, string> = {};
  const errors: { field: string; message: string }[] = [];
  for (const [row, choice] of Object.entries(dto.resolutions ?? {})) {
    const id = (choice as { organization_id?: unknown } | null)?.organization_id;
    if (!/^[1-9]\d{0,8}$/.test(row))
      errors.push({ field: `resolutions.${row}`, message: 'must be keyed by a row number' });
    else if (typeof id !== 'string' || !UUID.test(id)) {
      errors.push({ field: `resolutions.${row}.organization_id`, message: 'must be a UUID' });
    } else resolutions[row] = id.toLowerCase();
  }
  if (errors.length > 0) {
    throw new ImportException(
      ImportExceptionCode.INVALID_RESOLUTIONS,
      `validation failed: ${errors[0].field} ${errors[0].message}`,
      {
        errors,
      },
    );
  }
  return { override: dto.override ?? false, resolutions };
}

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { CsvSource } from './csv/csv-types';
import { SessionRecord } from './import-session.types';

/** Maps the stored entity names to those of the history. */
const ENTITY: Record<string, string> = { courier: 'courier_customer' };

/** An import record as answered (API.md §9), from its session row. */
export function historyItem(session: SessionRecord, email: string | null): Record<string, unknown> {
  const status = session.expired ? 'expired' : session.status;
  const item: Record<string, unknown> = {
    id: session.id,
    entity: ENTITY[session.entity] ?? session.entity,
    kind: session.kind,
    status,
    created_by: { id: session.owner_id, email },
    file: {
      name: session.file_name,
      size_bytes: session.file_size === null ? null : Number(session.file_size),
      sha256: session.file_sha256,
      format: session.file_format,
    },
    created_at: session.created_at,
    confirmed_at: session.confirmed_at,
    completed_at: session.completed_at,
    counters: {
      total_rows: session.total_rows,
      valid_rows: session.valid_rows,
      error_rows: session.error_rows,
      warning_rows: session.warning_rows,
      ambiguous_rows: session.ambiguous_rows,
      created: session.created_rows,
      updated: session.updated_rows,
      skipped: session.skipped_rows,
      failed: session.failed_rows,
    },
  };
  if (session.context?.courier_id) item.courier_id = session.context.courier_id;
  if (session.options) item.options = { override: session.options.override };
  if (session.reverted_at) item.reverted_at = session.reverted_at;
  if (session.revert_counts) item.revert = session.revert_counts;
  return item;
}

/** The size and SHA-256 of an imported file, read once more from its spooled copy (or buffer). */
export async function fileFacts(source: CsvSource): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  if ('buffer' in source) {
    hash.update(source.buffer);
    return { size: source.buffer.length, sha256: hash.digest('hex') };
  }
  let size = 0;
  for await (const chunk of createReadStream(source.path)) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { size, sha256: hash.digest('hex') };
}

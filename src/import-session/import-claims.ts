import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AuthUser } from '../auth/permissions';
import { ConfirmOptions, ImportDefinition } from './import-definition';
import { StoredOptions } from './import-outcomes';
import { ImportReadsService } from './import-reads.service';
import { ImportSessionRepository } from './import-session.repository';
import { SessionRecord } from './import-session.types';
import { ImportException, ImportExceptionCode } from './import.exception';

const SESSION_NOT_FOUND = 'import session not found or expired. please re-validate the CSV file';

/** A session claimed by a confirm: the token that proves it, and the options the confirm runs with. */
export interface Claim {
  session: SessionRecord;
  token: string;
  options: StoredOptions;
}

/**
 * The claims of confirms on their sessions: taken by one conditional UPDATE, checked without taking, and
 * refused in the contract's words (400, 403, 409).
 */
export class ImportClaims {
  constructor(
    private readonly store: ImportSessionRepository,
    private readonly reads: ImportReadsService,
  ) {}

  /**
   * Claims the session for this confirm: exactly one of any number of concurrent confirms, on any number of
   * instances, wins; the others get 409. A session whose confirm died (its lease lapsed) can be claimed
   * again, and the new confirm finishes the rows not yet applied, with the options of the first confirm.
   * Given a transaction's `manager`, the claim is part of that transaction.
   */
  async claim(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    requested: ConfirmOptions,
    manager?: EntityManager,
  ): Promise<Claim> {
    const token = randomUUID();
    const offered = await this.checkResolutions(importId, requested);
    const session = await this.store.claim(importId, user.id, definition.entity, token, offered, manager);
    if (!session) throw await this.claimRefusal(definition, user, importId);
    const options: StoredOptions = session.options ?? offered;
    return { session, token, options };
  }

  /**
   * The options a confirm would run with: a resolution that names none of its ambiguous row's candidates is
   * moved to `rejected`, and that row fails (API.md §4). Resolutions of rows that are not ambiguous are kept
   * and play no part.
   */
  private async checkResolutions(importId: string, requested: ConfirmOptions): Promise<StoredOptions> {
    const chosen = Object.entries(requested.resolutions);
    if (chosen.length === 0) return { override: requested.override, resolutions: {} };
    const rejected = await this.reads.refusedResolutions(importId, chosen);
    const options: StoredOptions = { override: requested.override, resolutions: {} };
    for (const [row, id] of chosen) {
      if (rejected.has(row)) (options.rejected ??= {})[row] = id;
      else options.resolutions[row] = id;
    }
    return options;
  }

  /**
   * Throws what a confirm of this session would answer now if it could not claim it (400, 403, 409), without
   * claiming it: for endpoints that check the rows before they confirm.
   */
  async assertConfirmable(definition: ImportDefinition, user: AuthUser, importId: string): Promise<void> {
    const session = await this.store.find(importId);
    const lapsed =
      session?.status === 'confirming' && session.lease_until !== null && session.lease_until < new Date();
    if (session && !session.expired && (session.status === 'validated' || lapsed)) {
      if (session.owner_id === user.id && session.entity === definition.entity) return;
    }
    throw await this.claimRefusal(definition, user, importId, session);
  }

  /** Why a session could not be claimed, in the contract's words. */
  private async claimRefusal(
    definition: ImportDefinition,
    user: AuthUser,
    importId: string,
    known?: SessionRecord,
  ): Promise<ImportException> {
    const session = known ?? (await this.store.find(importId));
    if (!session || session.expired) {
      return new ImportException(ImportExceptionCode.SESSION_EXPIRED, SESSION_NOT_FOUND);
    }
    if (session.owner_id !== user.id) {
      return new ImportException(
        ImportExceptionCode.SESSION_OF_ANOTHER_USER,
        'this import session belongs to another user',
      );
    }
    if (session.entity !== definition.entity) {
      return new ImportException(
        ImportExceptionCode.SESSION_OF_ANOTHER_ENTITY,
        `import session ${importId} is a ${session.entity} import, not a ${definition.entity} import`,
      );
    }
    if (session.status === 'completed') {
      return new ImportException(
        ImportExceptionCode.ALREADY_CONFIRMED,
        'this import session was already confirmed',
        {
          import_id: importId,
        },
      );
    }
    return new ImportException(
      ImportExceptionCode.BEING_CONFIRMED,
      'this import session is being confirmed',
      {
        import_id: importId,
      },
    );
  }
}

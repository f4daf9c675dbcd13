import { checkWritten, pendingBatches } from './import-apply';
import { UnwrittenRowsError } from './import-errors';
import { SessionRecord } from './import-session.types';

const session = (last_row: number, applied_batches: number[] = []) =>
  ({ last_row, applied_batches }) as SessionRecord;

describe('pendingBatches', () => {
  it('numbers batches of row numbers from row 2 (the header is row 1)', () => {
    expect(pendingBatches(session(1), 3)).toEqual([]);
    expect(pendingBatches(session(2), 3)).toEqual([0]);
    expect(pendingBatches(session(4), 3)).toEqual([0]);
    expect(pendingBatches(session(5), 3)).toEqual([0, 1]);
    expect(pendingBatches(session(11), 3)).toEqual([0, 1, 2, 3]);
  });

  it('leaves out the batches already applied, whatever their order', () => {
    expect(pendingBatches(session(11, [2, 0]), 3)).toEqual([1, 3]);
    expect(pendingBatches(session(11, [0, 1, 2, 3]), 3)).toEqual([]);
  });
});

describe('checkWritten', () => {
  it('passes when the records written are those reported as created or updated', () => {
    expect(() => checkWritten(5, { created: 3, updated: 2 })).not.toThrow();
    expect(() => checkWritten(0, { created: 0, updated: 0 })).not.toThrow();
  });

  it('fails the batch otherwise', () => {
    expect(() => checkWritten(4, { created: 3, updated: 2 })).toThrow(UnwrittenRowsError);
    expect(() => checkWritten(6, { created: 3, updated: 2 })).toThrow(
      'the batch wrote 6 records, but its outcomes report 5',
    );
  });
});

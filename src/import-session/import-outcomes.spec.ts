import { outcomeSql } from './import-outcomes';

const base = {
  options: { override: false, resolutions: {} },
  batch_size: 3,
  applied_batches: [] as number[],
};

describe('outcomeSql', () => {
  it('has no outcome for rows of a session not confirmed', () => {
    const { text } = outcomeSql({ ...base, status: 'validated' }).outcome.compile();
    expect(text).toContain('WHEN NOT (false) THEN NULL');
  });

  it('derives the outcome of every row of a completed confirm', () => {
    const { text, params } = outcomeSql({ ...base, status: 'completed' }).outcome.compile();
    expect(text).toContain('WHEN NOT (true) THEN NULL');
    expect(text).toContain("THEN 'skipped' ELSE 'created' END");
    expect(params).toEqual([false, '{}']);
  });

  it('during a confirm, only the rows of applied batches have one', () => {
    const { text, params } = outcomeSql({
      ...base,
      status: 'confirming',
      applied_batches: [0, 2],
      options: { override: true, resolutions: { '4': 'id' } },
    }).outcome.compile();
    expect(text).toMatch(/\(\(r\.row_number - 2\) \/ \$1::int\) = ANY\(\$2::int\[\]\)/);
    expect(params).toEqual([3, [0, 2], true, '{"4":"id"}']);
  });

  it('passes each value once however often the fragments embed it', () => {
    const { reason } = outcomeSql({ ...base, status: 'confirming', applied_batches: [1] });
    const { params } = reason.compile();
    expect(params).toEqual([3, [1], false, '{}']);
  });
});

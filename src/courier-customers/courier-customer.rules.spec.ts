import { checkCourierCustomer, COURIER_CUSTOMER_LIMITS } from './courier-customer.rules';

describe('checkCourierCustomer', () => {
  it('trims every value and answers no error for a complete customer', () => {
    expect(
      checkCourierCustomer({
        user_code: ' C-1 ',
        first_name: '\tMaria ',
        last_name: ' Rossi',
        branch: ' Nord ',
      }),
    ).toEqual({
      value: { user_code: 'C-1', first_name: 'Maria', last_name: 'Rossi', branch: 'Nord' },
      errors: [],
    });
  });

  it.each([undefined, null, '', '   '])('turns a branch of %p into null', (branch) => {
    const { value, errors } = checkCourierCustomer({
      user_code: 'C-1',
      first_name: 'Maria',
      last_name: 'Rossi',
      branch,
    });
    expect(value.branch).toBeNull();
    expect(errors).toEqual([]);
  });

  it('requires user_code, first_name and last_name, missing, null or blank', () => {
    const { value, errors } = checkCourierCustomer({ user_code: '  ', first_name: null });
    expect(errors).toEqual([
      { field: 'user_code', message: 'required' },
      { field: 'first_name', message: 'required' },
      { field: 'last_name', message: 'required' },
    ]);
    expect(value).toEqual({ user_code: '', first_name: '', last_name: '', branch: null });
  });

  it('exports the limits the database enforces', () => {
    expect(COURIER_CUSTOMER_LIMITS).toEqual({ user_code: 64, first_name: 255, last_name: 255, branch: 255 });
  });

  it('accepts values exactly at the limits and refuses one character more with too_long', () => {
    const at = {
      user_code: 'u'.repeat(64),
      first_name: 'f'.repeat(255),
      last_name: 'l'.repeat(255),
      branch: 'b'.repeat(255),
    };
    expect(checkCourierCustomer(at).errors).toEqual([]);
    const over = {
      user_code: 'u'.repeat(65),
      first_name: 'f'.repeat(256),
      last_name: 'l'.repeat(256),
      branch: 'b'.repeat(256),
    };
    expect(checkCourierCustomer(over).errors).toEqual([
      { field: 'user_code', message: 'too_long' },
      { field: 'first_name', message: 'too_long' },
      { field: 'last_name', message: 'too_long' },
      { field: 'branch', message: 'too_long' },
    ]);
  });

  it('counts characters, not bytes or UTF-16 units', () => {
    const emoji = '😀'.repeat(64); // 128 UTF-16 units, 256 bytes, 64 characters
    const accented = 'è'.repeat(255); // 510 bytes
    const ok = checkCourierCustomer({ user_code: emoji, first_name: accented, last_name: 'R' });
    expect(ok.errors).toEqual([]);
    expect(checkCourierCustomer({ user_code: `${emoji}x`, first_name: 'M', last_name: 'R' }).errors).toEqual([
      { field: 'user_code', message: 'too_long' },
    ]);
  });

  it('measures the trimmed value', () => {
    const { value, errors } = checkCourierCustomer({
      user_code: `  ${'u'.repeat(64)}  `,
      first_name: 'M',
      last_name: 'R',
    });
    expect(errors).toEqual([]);
    expect(value.user_code).toHaveLength(64);
  });

  it('reports a too long value and a missing one together', () => {
    expect(checkCourierCustomer({ user_code: 'x'.repeat(65), last_name: 'R' }).errors).toEqual([
      { field: 'user_code', message: 'too_long' },
      { field: 'first_name', message: 'required' },
    ]);
  });
});

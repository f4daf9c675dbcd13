import { QueryFailedError } from 'typeorm';
import { describeUnexpected } from './all-exceptions.filter';

describe('describeUnexpected', () => {
  it('keeps the kind and code of a database error, never its SQL or parameters', () => {
    const driverError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
      code: '22021',
    });
    const error = new QueryFailedError(
      'SELECT * FROM users WHERE email = $1 AND password_hash = $2',
      ['secret-customer@example.com', 'hunter2-password'],
      driverError,
    );
    const logged = JSON.stringify(describeUnexpected(error));
    expect(logged).toContain('QueryFailedError');
    expect(logged).toContain('22021');
    expect(logged).not.toContain('secret-customer@example.com');
    expect(logged).not.toContain('hunter2-password');
    expect(logged).not.toContain('password_hash');
  });
});

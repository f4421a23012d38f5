import { withoutPassword } from './main';

describe('a database URL as the log shows it', () => {
  it.each([
    ['a password in the user part', 'postgres://rpa:s3cret@db:5432/rpa', 'postgres://rpa:***@db:5432/rpa'],
    [
      'a password as a parameter',
      'postgres://db:5432/rpa?user=rpa&password=hunter2&sslmode=require',
      'postgres://db:5432/rpa?user=rpa&password=***&sslmode=require',
    ],
    ['no password', 'postgres://rpa@db/rpa', 'postgres://rpa@db/rpa'],
    ['not a URL the parser takes', 'postgres://rpa:s3cret@[bad/rpa?password=x', 'postgres://rpa:***@[bad/rpa?password=***'],
  ])('masks %s', (_, url, shown) => {
    expect(withoutPassword(url)).toBe(shown);
  });
});

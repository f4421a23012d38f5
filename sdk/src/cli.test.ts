import { commandToken, numberOption, UsageError } from './cli';

describe("the commands' shared options", () => {
  it.each([
    ['--token wins over the environment', 'given-on-the-command-line', { RPA_INGEST_TOKEN: 'from-the-environment-1' }, 'given-on-the-command-line'],
    [
      "the first of the collector's list, trimmed as the collector reads it",
      undefined,
      { RPA_INGEST_TOKEN: '  first-ingest-token-x , second-ingest-token ' },
      'first-ingest-token-x',
    ],
    ['an empty first entry is skipped', undefined, { RPA_INGEST_TOKEN: ' ,only-ingest-token-abc' }, 'only-ingest-token-abc'],
    ['no token when none is set', undefined, {}, undefined],
  ])('an ingest token: %s', (_what, option, env, expected) => {
    expect(commandToken(option, 'ingest', env)).toBe(expected);
  });

  it('a read token comes from RPA_READ_TOKEN, never from the ingest one', () => {
    expect(commandToken(undefined, 'read', { RPA_INGEST_TOKEN: 'ingest-token-abcdefgh', RPA_READ_TOKEN: 'read-token-abcdefghij' })).toBe(
      'read-token-abcdefghij',
    );
    expect(commandToken(undefined, 'read', { RPA_INGEST_TOKEN: 'ingest-token-abcdefgh' })).toBeUndefined();
  });

  it('a number option out of range names the option and its range', () => {
    expect(() => numberOption('0', 'days', 1, 90)).toThrow(new UsageError("--days must be a number from 1 to 90, got '0'"));
    expect(numberOption('14', 'days', 1, 90)).toBe(14);
  });
});

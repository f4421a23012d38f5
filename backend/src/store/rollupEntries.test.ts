import { EXACT_LIMIT, QuantileDigest } from '../analysis/quantileDigest';
import { Random } from '../sim/random';
import { decodeEntryObjects, encodeEntries, foldDuration, mergeEncoded, mergeEntry, type RollupEntry } from './rollupEntries';

function entryOf(key: number, count: number, durations: number[]): RollupEntry {
  const entry: RollupEntry = { key, count: count - durations.length, timed: 0, sum: 0, min: null, max: null };
  for (const d of durations) foldDuration(entry, d);
  return entry;
}

function decodeAll(blob: Uint8Array, options: Parameters<typeof decodeEntryObjects>[1] = { digests: true }): RollupEntry[] {
  const out: RollupEntry[] = [];
  decodeEntryObjects(blob, options, (e) => out.push(e));
  return out;
}

describe('packed rollup entries', () => {
  const random = new Random(5);
  const whole = [1200, 800, 4000];
  const fractional = [12.5, 0.25, 99.125];
  const many = Array.from({ length: 500 }, () => Math.round(random.logNormal(30_000, 0.6)));
  const entries = [entryOf(9, 5, many.slice(0, 3)), entryOf(3, 3, whole), entryOf(4, 2, []), entryOf(7, 4, fractional), entryOf(1, 600, many)];

  it('when entries are packed and read back, then counts, sums, extremes and digests are the same, in key order', () => {
    const back = decodeAll(encodeEntries(entries));
    expect(back.map((e) => e.key)).toEqual([1, 3, 4, 7, 9]);
    for (const original of entries) {
      const read = back.find((e) => e.key === original.key)!;
      expect({ ...read, digest: undefined }).toEqual({ ...original, digest: undefined });
      if (original.timed === 0) expect(read.digest).toBeUndefined();
      else for (const p of [0, 0.5, 0.95, 1]) expect(read.digest!.quantile(p)).toBeCloseTo(original.digest!.quantile(p), 5);
    }
  });

  it('when the values are few, then they are stored themselves: quantiles exact, whole milliseconds as varints', () => {
    const [wholeEntry] = decodeAll(encodeEntries([entryOf(3, 3, whole)]));
    expect(wholeEntry.digest!.exactValues()).toEqual(whole);
    expect(encodeEntries([entryOf(3, 3, whole)]).length).toBe(1 + 3 + 1 + 2 * whole.length);
    expect(encodeEntries([entryOf(7, 3, fractional)]).length).toBe(1 + 3 + 1 + 8 * fractional.length);
    const [big] = decodeAll(encodeEntries([entryOf(1, 600, many)]));
    expect(big.digest!.exact).toBe(false);
    expect(many.length).toBeGreaterThan(EXACT_LIMIT);
  });

  it('when read for counts and sums only or for some keys, then digests are skipped and other keys left out', () => {
    const blob = encodeEntries(entries);
    expect(decodeAll(blob, { digests: false }).every((e) => e.digest === undefined)).toBe(true);
    expect(decodeAll(blob, { digests: false }).map((e) => e.sum)).toEqual(decodeAll(blob).map((e) => e.sum));
    expect(decodeAll(blob, { digests: true, keys: new Set([7, 1, 42]) }).map((e) => e.key)).toEqual([1, 7]);
  });

  it('when a stored entry is merged with a new part, then the result is the entry of all the values', () => {
    const [stored] = decodeAll(encodeEntries([entryOf(3, 50, many.slice(0, 40))]));
    mergeEntry(stored, entryOf(3, 40, many.slice(40, 80)));
    const all = entryOf(3, 90, many.slice(0, 80));
    const [merged] = decodeAll(encodeEntries([stored]));
    expect({ ...merged, digest: undefined }).toEqual({ ...all, sum: expect.closeTo(all.sum, 6), digest: undefined });
    expect(merged.digest!.exact).toBe(false);
    expect(Math.abs(merged.digest!.quantile(0.95) / QuantileDigest.of(many.slice(0, 80)).quantile(0.95) - 1)).toBeLessThan(0.01);
  });

  it('when a blob is not a packed row, then reading it fails clearly', () => {
    expect(() => decodeAll(Buffer.from([7, 0]))).toThrow('not a packed rollup row (format 7)');
    expect(() => decodeAll(Buffer.alloc(0))).toThrow('not a packed rollup row (format none)');
    expect(() => decodeAll(encodeEntries([entryOf(3, 3, whole)]).subarray(0, 10))).toThrow('not a packed rollup row (truncated)');
    expect(() => decodeAll(encodeEntries([entryOf(1, 600, many)]).subarray(0, 40))).toThrow('not a packed rollup row (truncated)');
    expect(() => decodeAll(encodeEntries([entryOf(7, 3, fractional)]).subarray(0, 12))).toThrow('not a packed rollup row (truncated)');
    const badDigest = { ...entryOf(3, 3, whole), timed: 2 };
    expect(() => encodeEntries([badDigest])).toThrow('rollup entry 3: 2 timed records but a digest of 3');
  });

  it('when a part is merged into a stored row without decoding it, then the row is byte for byte the decoded, merged and packed one', () => {
    const r = new Random(11);
    // Whole or fractional milliseconds, few or past the exact limit, or none timed.
    const durations = (): number[] => {
      const n = r.chance(0.2) ? 0 : r.chance(0.15) ? r.int(EXACT_LIMIT - 5, EXACT_LIMIT + 80) : r.int(1, 8);
      const fractional = r.chance(0.1);
      return Array.from({ length: n }, () => (fractional ? r.uniform(1, 5000) : r.int(0, 90_000)));
    };
    for (let trial = 0; trial < 500; trial++) {
      const storedKeys = [...new Set(Array.from({ length: r.int(1, 12) }, () => r.int(1, 40)))];
      const stored = encodeEntries(
        storedKeys.map((key) => {
          const d = durations();
          return entryOf(key, d.length + r.int(0, 3), d);
        }),
      );
      const partKeys = [...new Set(Array.from({ length: r.int(1, 8) }, () => (r.chance(0.6) ? r.pick(storedKeys) : r.int(1, 40))))];
      const spec = partKeys.map((key) => {
        const d = durations();
        return { key, count: d.length + r.int(0, 2), d };
      });
      const part = () => new Map(spec.map(({ key, count, d }) => [key, entryOf(key, count, d)]));
      // The reference: every stored entry decoded, the part merged in, all packed again.
      const merged = new Map(part());
      for (const entry of decodeAll(stored)) {
        const added = merged.get(entry.key);
        if (added) mergeEntry(entry, added);
        merged.set(entry.key, entry);
      }
      expect(mergeEncoded(part(), stored).toString('hex')).toBe(encodeEntries([...merged.values()]).toString('hex'));
    }
  });
});

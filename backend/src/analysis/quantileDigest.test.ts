import { Random } from '../sim/random';
import { EXACT_LIMIT, QuantileDigest } from './quantileDigest';
import { quantile } from './stats';

describe('QuantileDigest', () => {
  it('answers exactly, by linear interpolation, while it holds few values', () => {
    const digest = new QuantileDigest();
    for (const v of [1000, 3000, 2000, 10_000]) digest.add(v);
    expect(digest.exact).toBe(true);
    expect(digest.quantile(0.95)).toBe(quantile([1000, 2000, 3000, 10_000], 0.95));
  });

  it('survives encoding, in both forms', () => {
    const small = new QuantileDigest().add(1500).add(2500);
    expect(QuantileDigest.decode(small.encode()).quantile(0.5)).toBe(2000);
    const large = new QuantileDigest();
    for (let i = 1; i <= 1000; i++) large.add(i * 10);
    const decoded = QuantileDigest.decode(large.encode());
    expect(decoded.exact).toBe(false);
    expect(decoded.count).toBe(1000);
    expect(decoded.quantile(0.95)).toBeCloseTo(large.quantile(0.95), 6);
  });

  it('merged from many parts, keeps p50, p95 and p99 within 1% of the exact values', () => {
    const random = new Random(5);
    const all: number[] = [];
    const merged = new QuantileDigest();
    for (let part = 0; part < 200; part++) {
      const digest = new QuantileDigest();
      for (let i = 0; i < 1 + (part % 40); i++) {
        const v = Math.round(random.logNormal(30_000, 0.6));
        all.push(v);
        digest.add(v);
      }
      merged.merge(QuantileDigest.decode(digest.encode()));
    }
    expect(all.length).toBeGreaterThan(EXACT_LIMIT);
    for (const p of [0.5, 0.95, 0.99]) expect(Math.abs(merged.quantile(p) / quantile(all, p) - 1)).toBeLessThan(0.01);
  });

  it('refuses an empty digest and bytes that are not one', () => {
    expect(() => new QuantileDigest().quantile(0.5)).toThrow('quantile of an empty digest');
    expect(() => QuantileDigest.decode(Buffer.from([7, 1, 2]))).toThrow('not a quantile digest (first byte 7)');
  });
});

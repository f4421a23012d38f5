// Its protobuf encoding (`toProto`, `fromProto`) needs `protobufjs`, a peer dependency it does not
// install: backend/package.json names it for that, though no file here imports it.
import { DDSketch } from '@datadog/sketches-js';
import { quantileSorted } from './stats';

/** Up to this many values a digest keeps them all, so small buckets answer exactly. */
export const EXACT_LIMIT = 64;
/** Beyond it, a DDSketch with this relative accuracy (1%). */
export const SKETCH_ACCURACY = 0.01;

const EXACT = 0;
const SKETCH = 1;

/**
 * A mergeable quantile summary for rollups: the values themselves while there are few (exact
 * quantiles, by linear interpolation like the raw rows), a DDSketch once there are many
 * (relative error within 1%). Merging never loses more than the sketch's guarantee.
 */
export class QuantileDigest {
  private values: number[] | undefined = [];
  private sketch: DDSketch | undefined;
  private sorted = false;

  get count(): number {
    return this.values ? this.values.length : this.sketch!.count;
  }

  get exact(): boolean {
    return this.values !== undefined;
  }

  /** A digest of `values` (taken, not copied). */
  static of(values: number[]): QuantileDigest {
    const digest = new QuantileDigest();
    digest.values = values;
    if (values.length > EXACT_LIMIT) digest.toSketch();
    return digest;
  }

  /** The digest of a sketch's protobuf bytes, as `sketchBytes` wrote them. */
  static ofSketch(bytes: Uint8Array): QuantileDigest {
    const digest = new QuantileDigest();
    digest.values = undefined;
    digest.sketch = DDSketch.fromProto(bytes);
    return digest;
  }

  /** The values themselves while the digest is exact, else undefined. */
  exactValues(): readonly number[] | undefined {
    return this.values;
  }

  /** The sketch's protobuf bytes; for a digest that is not exact. */
  sketchBytes(): Uint8Array {
    if (!this.sketch) throw new Error('an exact digest has no sketch');
    return this.sketch.toProto();
  }

  add(value: number): this {
    if (this.values) {
      this.values.push(value);
      this.sorted = false;
      if (this.values.length > EXACT_LIMIT) this.toSketch();
    } else {
      this.sketch!.accept(value);
    }
    return this;
  }

  merge(other: QuantileDigest): this {
    if (other.values) {
      for (const v of other.values) this.add(v);
      return this;
    }
    if (this.values) this.toSketch();
    this.sketch!.merge(other.sketch!);
    return this;
  }

  /**
   * @throws RangeError when the digest is empty.
   * @example new QuantileDigest().add(1).add(2).add(3).add(4).quantile(0.5) === 2.5
   */
  quantile(p: number): number {
    if (this.count === 0) throw new RangeError('quantile of an empty digest');
    if (this.values) {
      // Sorted in place, once: the order of a digest's values means nothing.
      if (!this.sorted) {
        this.values.sort((a, b) => a - b);
        this.sorted = true;
      }
      return quantileSorted(this.values, p);
    }
    // Interpolate between the two ranks around p*(n-1), as the exact quantile does: each end is
    // within the sketch's 1%, so their mix is too (the sketch alone answers by rank only).
    const n = this.sketch!.count;
    const rank = p * (n - 1);
    const lower = Math.floor(rank);
    const at = (r: number) => this.sketch!.getValueAtQuantile(n > 1 ? Math.min(1, (r + 1e-9) / (n - 1)) : 0);
    const low = at(lower);
    return rank === lower ? low : low + (at(lower + 1) - low) * (rank - lower);
  }

  /**
   * The form rollup rows had up to schema version 5 (the migration to packed rollups reads it):
   * a first byte saying which form, then float32 values or the sketch's protobuf.
   */
  encode(): Buffer {
    if (this.values) {
      const buffer = Buffer.alloc(1 + 4 * this.values.length);
      buffer[0] = EXACT;
      this.values.forEach((v, i) => buffer.writeFloatLE(v, 1 + 4 * i));
      return buffer;
    }
    return Buffer.concat([Buffer.from([SKETCH]), Buffer.from(this.sketch!.toProto())]);
  }

  static decode(buffer: Uint8Array): QuantileDigest {
    const digest = new QuantileDigest();
    const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    if (bytes[0] === EXACT) {
      for (let offset = 1; offset + 4 <= bytes.length; offset += 4) digest.values!.push(bytes.readFloatLE(offset));
      return digest;
    }
    if (bytes[0] !== SKETCH) throw new RangeError(`not a quantile digest (first byte ${bytes[0]})`);
    digest.values = undefined;
    digest.sketch = DDSketch.fromProto(bytes.subarray(1));
    return digest;
  }

  private toSketch(): void {
    const sketch = new DDSketch({ relativeAccuracy: SKETCH_ACCURACY });
    for (const v of this.values ?? []) sketch.accept(v);
    this.sketch = sketch;
    this.values = undefined;
  }
}

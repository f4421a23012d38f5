import { EXACT_LIMIT, QuantileDigest } from '../analysis/quantileDigest';

/**
 * One entry of a packed rollup row: `count` records of one key (a workflow in a row of runs, a
 * step in a row of steps), `timed` of them with a duration, summed and digested.
 */
export interface RollupEntry {
  key: number;
  count: number;
  timed: number;
  sum: number;
  min: number | null;
  max: number | null;
  /** Absent when nothing was timed, or when read without digests. */
  digest?: QuantileDigest;
}

const FORMAT = 2;
/** How an entry's durations follow its counts. */
const EXACT_WHOLE = 0;
const EXACT_F64 = 1;
const SKETCH = 2;

const isU32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff;

/** Bytes of `v` (a u32) as an unsigned LEB128 varint. */
const varintSize = (v: number) => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x20_0000 ? 3 : v < 0x1000_0000 ? 4 : 5);

function writeVarint(buffer: Buffer, v: number, at: number): number {
  while (v >= 0x80) {
    buffer[at++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buffer[at++] = v;
  return at;
}

/**
 * Packs entries into one blob: a format byte, then per entry (by key) its key, count and timed
 * count as varints, then its durations. While a digest is exact the values themselves are
 * stored (as varints when all are whole milliseconds, as they nearly always are, so two or three
 * bytes each; else as f64), and sum, min and max are read back from them; past the exact limit
 * the sum, min and max as f64 and the sketch's bytes.
 */
export function encodeEntries(entries: readonly RollupEntry[]): Buffer {
  const sorted = [...entries].sort((a, b) => a.key - b.key);
  const sketches = new Map<RollupEntry, Uint8Array>();
  let size = 1;
  for (const entry of sorted) {
    size += varintSize(entry.key) + varintSize(entry.count) + varintSize(entry.timed);
    if (entry.timed === 0) continue;
    const values = entry.digest?.exactValues();
    if (!entry.digest || (values && values.length !== entry.timed))
      throw new Error(`rollup entry ${entry.key}: ${entry.timed} timed records but a digest of ${entry.digest?.count ?? 0}`);
    if (values) size += 1 + (values.every(isU32) ? values.reduce((n, v) => n + varintSize(v), 0) : 8 * values.length);
    else {
      const bytes = entry.digest.sketchBytes();
      sketches.set(entry, bytes);
      size += 1 + 24 + varintSize(bytes.length) + bytes.length;
    }
  }
  const buffer = Buffer.allocUnsafe(size);
  let at = buffer.writeUInt8(FORMAT, 0);
  for (const entry of sorted) {
    at = writeVarint(buffer, entry.key, at);
    at = writeVarint(buffer, entry.count, at);
    at = writeVarint(buffer, entry.timed, at);
    if (entry.timed === 0) continue;
    const values = entry.digest!.exactValues();
    if (values) {
      const whole = values.every(isU32);
      at = buffer.writeUInt8(whole ? EXACT_WHOLE : EXACT_F64, at);
      for (const v of values) at = whole ? writeVarint(buffer, v, at) : buffer.writeDoubleLE(v, at);
    } else {
      const bytes = sketches.get(entry)!;
      at = buffer.writeUInt8(SKETCH, at);
      at = buffer.writeDoubleLE(entry.sum, at);
      at = buffer.writeDoubleLE(entry.min!, at);
      at = buffer.writeDoubleLE(entry.max!, at);
      at = writeVarint(buffer, bytes.length, at);
      buffer.set(bytes, at);
      at += bytes.length;
    }
  }
  return buffer;
}

export interface DecodeOptions {
  /** Build each entry's digest (quantiles need it; counts and sums do not). */
  digests: boolean;
  /** Only entries with these keys. */
  keys?: ReadonlySet<number>;
}

/**
 * An entry's fields as arguments. `values` holds the exact durations (the first `timed` of it)
 * and is reused for the next entry; `sketch` is the digest past the exact limit. Both are null
 * when the entry has no durations or digests were not asked for.
 */
export type EntryVisitor = (
  key: number,
  count: number,
  timed: number,
  sum: number,
  min: number | null,
  max: number | null,
  values: Float64Array | null,
  sketch: QuantileDigest | null,
) => void;

/**
 * Calls `visit` with each entry of a packed blob, in key order, as an object with its digest.
 * @throws RangeError when the blob is not a packed rollup row of a known format.
 */
export function decodeEntryObjects(blob: Uint8Array, options: DecodeOptions, visit: (entry: RollupEntry) => void): void {
  decodeEntries(blob, options, (key, count, timed, sum, min, max, values, sketch) => {
    const digest = values ? QuantileDigest.of(Array.from(values.subarray(0, timed))) : sketch;
    visit(digest ? { key, count, timed, sum, min, max, digest } : { key, count, timed, sum, min, max });
  });
}

let scratch = new Float64Array(64);

/**
 * Like `decodeEntryObjects`, with the fields as arguments and the exact values in a reused
 * array: a month-long panel reads a hundred thousand entries, and objects for each were most
 * of its time (in the garbage collector).
 */
export function decodeEntries(blob: Uint8Array, options: DecodeOptions, visit: EntryVisitor): void {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const end = blob.byteLength;
  if (end === 0 || blob[0] !== FORMAT) throw new RangeError(`not a packed rollup row (format ${end ? blob[0] : 'none'})`);
  let at = 1;
  const truncated = () => new RangeError('not a packed rollup row (truncated)');
  // Unsigned LEB128.
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= end) throw truncated();
      const byte = blob[at++];
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) return v;
      scale *= 128;
    }
  };
  while (at < end) {
    const key = varint();
    const count = varint();
    const timed = varint();
    const wanted = !options.keys || options.keys.has(key);
    if (timed === 0) {
      if (wanted) visit(key, count, timed, 0, null, null, null, null);
      continue;
    }
    const form = blob[at++];
    if (form === SKETCH) {
      if (at + 24 > end) throw truncated();
      const sum = view.getFloat64(at, true);
      const min = view.getFloat64(at + 8, true);
      const max = view.getFloat64(at + 16, true);
      at += 24;
      const length = varint();
      if (at + length > end) throw truncated();
      if (wanted) visit(key, count, timed, sum, min, max, null, options.digests ? QuantileDigest.ofSketch(blob.subarray(at, at + length)) : null);
      at += length;
      continue;
    }
    if (form !== EXACT_WHOLE && form !== EXACT_F64) throw new RangeError(`not a packed rollup row (entry form ${form})`);
    if (scratch.length < timed) scratch = new Float64Array(timed);
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < timed; i++) {
      let v: number;
      if (form === EXACT_WHOLE) v = varint();
      else {
        if (at + 8 > end) throw truncated();
        v = view.getFloat64(at, true);
        at += 8;
      }
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
      scratch[i] = v;
    }
    if (wanted) visit(key, count, timed, sum, min, max, options.digests ? scratch : null, null);
  }
}

/**
 * A stored row with a batch's part added: what `encodeEntries` gives for the entries decoded,
 * merged (`mergeEntry`, the stored entry first) and packed again, byte for byte, without
 * decoding the entries the part does not touch, nor those it only adds whole milliseconds to
 * while they stay exact (most of them: a batch adds a few runs to an entry at a time).
 */
export function mergeEncoded(part: ReadonlyMap<number, RollupEntry>, stored: Uint8Array): Buffer {
  if (stored.length === 0 || stored[0] !== FORMAT) throw new RangeError(`not a packed rollup row (format ${stored.length ? stored[0] : 'none'})`);
  const added = [...part.values()].sort((a, b) => a.key - b.key);
  const pieces: Uint8Array[] = [Buffer.of(FORMAT)];
  let next = 0;
  let at = 1;
  const end = stored.length;
  const varint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= end) throw new RangeError('not a packed rollup row (truncated)');
      const byte = stored[at++];
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) return v;
      scale *= 128;
    }
  };
  while (at < end) {
    const start = at;
    const key = varint();
    const count = varint();
    const timed = varint();
    let form = -1;
    let valuesAt = at;
    if (timed > 0) {
      form = stored[at++];
      valuesAt = at;
      if (form === EXACT_WHOLE) for (let i = 0; i < timed; i++) varint();
      else if (form === EXACT_F64) at += 8 * timed;
      else if (form === SKETCH) {
        at += 24;
        const length = varint();
        at += length;
      } else throw new RangeError(`not a packed rollup row (entry form ${form})`);
      if (at > end) throw new RangeError('not a packed rollup row (truncated)');
    }
    while (next < added.length && added[next].key < key) pieces.push(encodeEntries([added[next++]]).subarray(1));
    if (next < added.length && added[next].key === key) {
      pieces.push(mergeOne(stored.subarray(start, at), { count, timed, form, values: stored.subarray(valuesAt, at) }, added[next++]));
    } else {
      pieces.push(stored.subarray(start, at));
    }
  }
  while (next < added.length) pieces.push(encodeEntries([added[next++]]).subarray(1));
  return Buffer.concat(pieces);
}

/** One stored entry (its bytes, and what its header says) with `part` added, packed. */
function mergeOne(bytes: Uint8Array, stored: { count: number; timed: number; form: number; values: Uint8Array }, part: RollupEntry): Uint8Array {
  const partValues = part.timed > 0 ? part.digest?.exactValues() : [];
  const timed = stored.timed + part.timed;
  if ((stored.timed === 0 || stored.form === EXACT_WHOLE) && partValues && partValues.every(isU32) && timed <= EXACT_LIMIT) {
    const count = stored.count + part.count;
    const size =
      varintSize(part.key) +
      varintSize(count) +
      varintSize(timed) +
      (timed > 0 ? 1 + stored.values.length + partValues.reduce((n, v) => n + varintSize(v), 0) : 0);
    const buffer = Buffer.allocUnsafe(size);
    let at = writeVarint(buffer, part.key, 0);
    at = writeVarint(buffer, count, at);
    at = writeVarint(buffer, timed, at);
    if (timed > 0) {
      buffer[at++] = EXACT_WHOLE;
      buffer.set(stored.values, at);
      at += stored.values.length;
      for (const v of partValues) at = writeVarint(buffer, v, at);
    }
    return buffer;
  }
  let entry: RollupEntry | undefined;
  decodeEntryObjects(Buffer.concat([Buffer.of(FORMAT), bytes]), { digests: true }, (decoded) => (entry = decoded));
  mergeEntry(entry!, part);
  return encodeEntries([entry!]).subarray(1);
}

/** Adds `part` into `into` (same key): counts and sums add, digests merge. */
export function mergeEntry(into: RollupEntry, part: RollupEntry): void {
  into.count += part.count;
  into.timed += part.timed;
  into.sum += part.sum;
  if (part.min !== null) into.min = into.min === null ? part.min : Math.min(into.min, part.min);
  if (part.max !== null) into.max = into.max === null ? part.max : Math.max(into.max, part.max);
  if (part.digest) into.digest = into.digest ? into.digest.merge(part.digest) : part.digest;
}

/** Records one more record of an entry, with its duration when it has one. */
export function foldDuration(entry: RollupEntry, duration: number | undefined): void {
  entry.count++;
  if (duration === undefined) return;
  entry.timed++;
  entry.sum += duration;
  entry.min = entry.min === null ? duration : Math.min(entry.min, duration);
  entry.max = entry.max === null ? duration : Math.max(entry.max, duration);
  (entry.digest ??= new QuantileDigest()).add(duration);
}

/**
 * A stored row with a part taken back out (the contribution of runs counted before and since
 * corrected): counts, timed counts and sums exactly; durations exactly while an entry's digest
 * is exact (min and max follow), else its sketch, min and max keep the old durations (a sketch
 * cannot forget a value; one in the many that made it a sketch). An entry left with no records
 * goes.
 */
export function retractEncoded(part: ReadonlyMap<number, RollupEntry>, stored: Uint8Array): Buffer {
  const entries: RollupEntry[] = [];
  decodeEntryObjects(stored, { digests: true }, (entry) => {
    const taken = part.get(entry.key);
    if (taken) retractEntry(entry, taken);
    if (entry.count > 0) entries.push(entry);
  });
  return encodeEntries(entries);
}

function retractEntry(from: RollupEntry, part: RollupEntry): void {
  from.count = Math.max(0, from.count - part.count);
  from.timed = Math.max(0, from.timed - part.timed);
  from.sum -= part.sum;
  const values = from.digest?.exactValues();
  if (!values) return;
  const remaining = [...values];
  for (const value of part.digest?.exactValues() ?? []) {
    const at = remaining.indexOf(value);
    if (at >= 0) remaining.splice(at, 1);
  }
  from.timed = remaining.length;
  from.sum = remaining.reduce((a, b) => a + b, 0);
  from.min = remaining.length ? Math.min(...remaining) : null;
  from.max = remaining.length ? Math.max(...remaining) : null;
  from.digest = remaining.length ? QuantileDigest.of(remaining) : undefined;
}

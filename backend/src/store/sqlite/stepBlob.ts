/*
 * A run's steps packed into one blob (the SQLite store's `run_steps` table): a run's steps are
 * written and read together, and one row a run costs a tenth of one row a step to write, to
 * store and to read back.
 *
 * Format: a version byte, then each step in index order: index and name id as varints, start as
 * a zigzag varint of its difference from the previous step's start (the first from 0), a flags
 * byte (status code in bits 0-2, bit 3 an error id follows, bit 4 the duration is an f64 rather
 * than a varint of whole milliseconds), the duration, then the error id as a varint.
 */

/** A step as stored: names as dictionary ids. */
export interface PackedStep {
  index: number;
  nameId: number;
  startedAt: number;
  durationMs: number;
  status: number;
  errorId: number | null;
}

const VERSION = 1;
const HAS_ERROR = 0b1000;
const F64_DURATION = 0b1_0000;
const STATUS_MASK = 0b111;

/** Whole numbers up to 2^53 are written as varints (7 bits a byte, low bits first). */
const isWhole = (v: number) => Number.isSafeInteger(v) && v >= 0;
const zigzag = (v: number) => (v < 0 ? -2 * v - 1 : 2 * v);
const unzigzag = (v: number) => (v % 2 === 1 ? -(v + 1) / 2 : v / 2);

function varintSize(v: number): number {
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

function writeVarint(buffer: Buffer, v: number, at: number): number {
  while (v >= 0x80) {
    buffer[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buffer[at++] = v;
  return at;
}

/** Packs steps (any order; one per index) into a blob. */
export function encodeSteps(steps: readonly PackedStep[]): Buffer {
  const sorted = [...steps].sort((a, b) => a.index - b.index);
  let size = 1;
  let previous = 0;
  for (const step of sorted) {
    if (!isWhole(step.index) || !isWhole(step.nameId) || !Number.isSafeInteger(step.startedAt) || step.status < 0 || step.status > STATUS_MASK) {
      throw new Error(`step ${step.index} cannot be packed`);
    }
    size += varintSize(step.index) + varintSize(step.nameId) + varintSize(zigzag(step.startedAt - previous)) + 1;
    size += isWhole(step.durationMs) ? varintSize(step.durationMs) : 8;
    if (step.errorId !== null) size += varintSize(step.errorId);
    previous = step.startedAt;
  }
  const buffer = Buffer.allocUnsafe(size);
  buffer[0] = VERSION;
  let at = 1;
  previous = 0;
  for (const step of sorted) {
    at = writeVarint(buffer, step.index, at);
    at = writeVarint(buffer, step.nameId, at);
    at = writeVarint(buffer, zigzag(step.startedAt - previous), at);
    previous = step.startedAt;
    const whole = isWhole(step.durationMs);
    buffer[at++] = step.status | (step.errorId !== null ? HAS_ERROR : 0) | (whole ? 0 : F64_DURATION);
    at = whole ? writeVarint(buffer, step.durationMs, at) : buffer.writeDoubleLE(step.durationMs, at);
    if (step.errorId !== null) at = writeVarint(buffer, step.errorId, at);
  }
  return buffer;
}

/** Where `decodeSteps` reads: module state rather than a closure per blob (runs are read by the million). */
let source: Uint8Array = new Uint8Array(0);
let at = 0;

function varint(): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = source[at++];
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
}

/** Calls `visit` with each step of a blob (or of the one at `[start, end)` of blobs end to end), in index order. */
export function decodeSteps(
  blob: Uint8Array,
  visit: (index: number, nameId: number, startedAt: number, durationMs: number, status: number, errorId: number | null) => void,
  start = 0,
  end = blob.length,
): void {
  if (blob[start] !== VERSION) throw new Error(`unknown step blob version ${blob[start]}`);
  let startedAt = 0;
  for (let next = start + 1; next < end;) {
    source = blob;
    at = next;
    const index = varint();
    const nameId = varint();
    startedAt += unzigzag(varint());
    const flags = blob[at++];
    let durationMs: number;
    if (flags & F64_DURATION) {
      durationMs = new DataView(blob.buffer, blob.byteOffset + at, 8).getFloat64(0, true);
      at += 8;
    } else {
      durationMs = varint();
    }
    const errorId = flags & HAS_ERROR ? varint() : null;
    next = at;
    // Each step starts from this blob's own position: a visitor may decode another blob.
    visit(index, nameId, startedAt, durationMs, flags & STATUS_MASK, errorId);
  }
}

/** The steps of a blob as objects, by index. */
export function stepsOfBlob(blob: Uint8Array): PackedStep[] {
  const steps: PackedStep[] = [];
  decodeSteps(blob, (index, nameId, startedAt, durationMs, status, errorId) => steps.push({ index, nameId, startedAt, durationMs, status, errorId }));
  return steps;
}

import { Random } from '../../sim/random';
import { encodeSteps, type PackedStep, stepsOfBlob } from './stepBlob';

describe('step blob', () => {
  it('when steps are packed and read back, then every field is what was packed, by index', () => {
    const random = new Random(7);
    for (let trial = 0; trial < 2000; trial++) {
      const count = random.int(0, 30);
      const indexes = new Set<number>();
      while (indexes.size < count) indexes.add(random.chance(0.9) ? random.int(0, 40) : random.int(0, 2 ** 40));
      const steps: PackedStep[] = [...indexes].map((index) => ({
        index,
        nameId: random.chance(0.95) ? random.int(1, 300) : random.int(1, 2 ** 45),
        // Steps may start in any order, minutes or decades apart.
        startedAt: random.chance(0.9) ? 1_790_000_000_000 + random.int(-600_000, 600_000) : random.int(0, 4_102_444_800_000),
        durationMs: random.chance(0.8) ? random.int(0, 100_000) : random.chance(0.5) ? random.int(0, 2 ** 52) : random.next() * 10_000,
        status: random.int(0, 7),
        errorId: random.chance(0.2) ? random.int(1, 2 ** 33) : null,
      }));
      expect(stepsOfBlob(encodeSteps(steps))).toEqual([...steps].sort((a, b) => a.index - b.index));
    }
  });

  it('when a blob is inside a larger buffer, then its durations are read from its own bytes', () => {
    const blob = encodeSteps([{ index: 0, nameId: 1, startedAt: 5, durationMs: 1.25, status: 1, errorId: 3 }]);
    const shifted = Buffer.concat([Buffer.from([9, 9, 9]), blob]).subarray(3);
    expect(stepsOfBlob(shifted)).toEqual([{ index: 0, nameId: 1, startedAt: 5, durationMs: 1.25, status: 1, errorId: 3 }]);
  });

  it('when ten whole-millisecond steps are packed, then they take a few bytes each', () => {
    const steps = Array.from({ length: 10 }, (_, i) => ({
      index: i,
      nameId: i + 1,
      startedAt: 1_790_000_000_000 + i * 2500,
      durationMs: 2400,
      status: 0,
      errorId: null,
    }));
    expect(encodeSteps(steps).length).toBeLessThanOrEqual(80);
  });
});

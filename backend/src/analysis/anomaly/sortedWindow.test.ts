import { Random } from '../../sim/random';
import { SortedWindow } from './sortedWindow';

describe('SortedWindow', () => {
  it('keeps the last values in the order they came and ranks and medians them as a sort of them does', () => {
    const random = new Random(3);
    const history: number[] = [];
    const window = new SortedWindow(20, history);
    const all: number[] = [];
    for (let i = 0; i < 500; i++) {
      // Ties and repeats among them, as rounded scores give.
      const value = random.chance(0.3) ? random.int(0, 3) : random.normal();
      all.push(value);
      window.push(value);
      const last = all.slice(-20);
      const sorted = [...last].sort((a, b) => a - b);
      expect(history).toEqual(last);
      const n = sorted.length;
      expect(window.median()).toBe(n % 2 === 1 ? sorted[n >> 1] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
      expect(window.rank(0.5)).toBe(sorted.filter((v) => v < 0.5).length);
      expect(window.nth(n - 1)).toBe(sorted[n - 1]);
    }
  });

  it('resumes from a longer history by keeping its newest values', () => {
    const history = [5, 1, 4, 2, 3];
    const window = new SortedWindow(3, history);
    expect(history).toEqual([4, 2, 3]);
    expect([window.size, window.median(), window.nth(0)]).toEqual([3, 3, 2]);
  });
});

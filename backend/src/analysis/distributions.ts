import * as ss from 'simple-statistics';

/** Distribution functions the statistical tests need. */

/** Standard normal CDF (Zelen and Severo 26.2.17, |error| < 7.5e-8). */
export function normalCdf(z: number): number {
  if (z < -8) return 0;
  if (z > 8) return 1;
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const density = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  const tail = density * t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return z >= 0 ? 1 - tail : tail;
}

/** log Γ(x) for x > 0: simple-statistics' (Lanczos, g = 607/128; within 1e-15 of SciPy's gammaln). */
const logGamma = (x: number): number => ss.gammaln(x);

/** Continued fraction for the incomplete beta function (Numerical Recipes' betacf). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-12) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** Two-sided p-value of Student's t with `df` degrees of freedom. */
export function studentTTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** P(X >= k) for X ~ Binomial(n, p), summed exactly in log space. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let logTerm = logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p);
  let total = 0;
  for (let i = k; i <= n; i++) {
    total += Math.exp(logTerm);
    logTerm += Math.log((n - i) / (i + 1)) + Math.log(p / (1 - p));
  }
  return Math.min(1, total);
}

/**
 * P(X >= k) for X ~ BetaBinomial(n, a, b) (`logBetaAB`, log B(a, b), when the caller has it): `k` or more of `n` when the rate itself is only known as
 * Beta(a, b), from the runs it was estimated on. Fatter than the binomial at the estimate while
 * those runs are few, the same once they are many.
 */
export function betaBinomialUpperTail(k: number, n: number, a: number, b: number, logBetaAB = logBeta(a, b)): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  // The first term whole, the rest by the ratio of successive terms: (n - i) / (i + 1) x (i + a) / (n - i - 1 + b).
  let term = Math.exp(logChoose(n, k) + logBeta(k + a, n - k + b) - logBetaAB);
  let total = 0;
  for (let i = k; i <= n; i++) {
    total += term;
    term *= ((n - i) / (i + 1)) * ((i + a) / (n - i - 1 + b));
  }
  return Math.min(1, total);
}

/**
 * P(X >= k) for X ~ Hypergeometric: `k` or more of the `draws` drawn from `population` items,
 * `marked` of them marked. One-sided Fisher's exact test: that a robot's `draws` runs held `k`
 * or more of its workflow's `marked` failures among `population` runs, were failures spread by
 * chance.
 */
export function hypergeometricUpperTail(k: number, draws: number, marked: number, population: number): number {
  const top = Math.min(draws, marked);
  const low = Math.max(k, draws - (population - marked), 0);
  if (low > top) return 0;
  const total = logChoose(population, draws);
  let sum = 0;
  for (let x = low; x <= top; x++) sum += Math.exp(logChoose(marked, x) + logChoose(population - marked, draws - x) - total);
  return Math.min(1, sum);
}

export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

function logChoose(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

import { describe, expect, it } from 'vitest';
import { random } from '@fluxion/core';
import { expectedLoss, leastSquares, sgdPath, sgdTable, surface } from '../lesson.js';

describe("the seed's SGD table (y = Wx + b, batch 1, lr 0.01)", () => {
  const rows = sgdTable({ steps: 5, lr: 0.01, key: random.key(7) });

  it("Fluxion's gradients equal the hand-derived 2(y − t)x and 2(y − t) to float32 precision", () => {
    expect(rows).toHaveLength(5);
    for (const r of rows) {
      const tol = (v: number) => 2 ** -23 * Math.abs(v) * 2; // two float32 ulps
      expect(Math.abs(r.gradW - r.handW)).toBeLessThanOrEqual(tol(r.handW));
      expect(Math.abs(r.gradB - r.handB)).toBeLessThanOrEqual(tol(r.handB));
      // y = Wx + b, and t = exp(x) with x in [0, 1).
      expect(r.y).toBeCloseTo(r.W * r.x + r.b, 6);
      expect(r.t).toBeCloseTo(Math.exp(r.x), 6);
      expect(r.x).toBeGreaterThanOrEqual(0);
      expect(r.x).toBeLessThan(1);
    }
  });

  it('starts at W = b = 0, and SGD moves to W − α∂W, b − α∂b, where the next row starts', () => {
    expect(rows[0]!.W).toBe(0);
    expect(rows[0]!.b).toBe(0);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      expect(r.nextW).toBeCloseTo(r.expectW, 7);
      expect(r.nextB).toBeCloseTo(r.expectB, 7);
      if (i + 1 < rows.length) {
        expect(rows[i + 1]!.W).toBe(r.nextW);
        expect(rows[i + 1]!.b).toBe(r.nextB);
      }
      // Below the curve, both gradients are negative: W and b grow.
      expect(r.handB).toBeLessThan(0);
    }
  });
});

describe('SGD on batches of 20 approaches the least-squares line', () => {
  it('W = 6(3 − e), b = 4e − 10 is the minimum of the expected loss', () => {
    const { W, b } = leastSquares;
    const h = 1e-4;
    expect((expectedLoss(W + h, b) - expectedLoss(W - h, b)) / (2 * h)).toBeCloseTo(0, 6);
    expect((expectedLoss(W, b + h) - expectedLoss(W, b - h)) / (2 * h)).toBeCloseTo(0, 6);
    // The grid surface (a mean over 100 points) is the same function up to quadrature error.
    expect(surface(W, b)).toBeCloseTo(expectedLoss(W, b), 3);
    expect(surface(0, 0)).toBeCloseTo(expectedLoss(0, 0), 1);
  });

  it('records (W, b) every 10 steps, getting closer to the least-squares point, and reaches it given time', async () => {
    const short = await sgdPath({ steps: 1000, batch: 20, every: 10, key: random.key(3) });
    expect(short.W).toHaveLength(101);
    expect(short.steps.slice(0, 3)).toEqual([0, 10, 20]);
    const dist = (i: number) => Math.hypot(short.W[i]! - leastSquares.W, short.b[i]! - leastSquares.b);
    expect(dist(50)).toBeLessThan(dist(0));
    expect(dist(100)).toBeLessThan(dist(50));
    expect(expectedLoss(short.W[100]!, short.b[100]!)).toBeLessThan(0.02);

    const long = await sgdPath({ steps: 8000, batch: 20, every: 1000, key: random.key(3) });
    const W = long.W[long.W.length - 1]!;
    const b = long.b[long.b.length - 1]!;
    expect(Math.abs(W - leastSquares.W)).toBeLessThan(0.05);
    expect(Math.abs(b - leastSquares.b)).toBeLessThan(0.03);
    expect(expectedLoss(W, b) - expectedLoss(leastSquares.W, leastSquares.b)).toBeLessThan(1e-4);
  });
});

/**
 * Schedules against hand-worked values, and their argument checks.
 */
import { describe, expect, it } from 'vitest';
import { ValueError } from '@fluxion/core';
import { constant, cosineDecay, exponentialDecay, linearWarmup, piecewiseConstant } from '../src/index.js';

describe('schedules', () => {
  it('constant', () => {
    const s = constant(0.3);
    expect([s(0), s(1), s(1e6)]).toEqual([0.3, 0.3, 0.3]);
  });

  it('exponentialDecay: smooth, staircase, delayed, bounded', () => {
    const s = exponentialDecay(1, 0.5, { transitionSteps: 10 });
    expect([s(0), s(10), s(20)]).toEqual([1, 0.5, 0.25]);
    expect(s(5)).toBeCloseTo(Math.SQRT1_2, 15);
    const stairs = exponentialDecay(1, 0.5, { transitionSteps: 10, staircase: true });
    expect([stairs(9), stairs(10), stairs(19), stairs(20)]).toEqual([1, 0.5, 0.5, 0.25]);
    const late = exponentialDecay(2, 0.5, { transitionSteps: 10, transitionBegin: 5 });
    expect([late(0), late(5), late(15)]).toEqual([2, 2, 1]);
    const floor = exponentialDecay(1, 0.5, { transitionSteps: 10, endValue: 0.3 });
    expect([floor(10), floor(20), floor(1000)]).toEqual([0.5, 0.3, 0.3]);
    const grow = exponentialDecay(1, 2, { endValue: 5 });
    expect([grow(1), grow(2), grow(3)]).toEqual([2, 4, 5]);
    expect(exponentialDecay(0.1, 0.9)(2)).toBeCloseTo(0.081, 15);
  });

  it('cosineDecay at 0, a quarter, half, the end and after', () => {
    const s = cosineDecay(0.1, 100);
    expect(s(0)).toBe(0.1);
    expect(s(25)).toBeCloseTo(0.05 * (1 + Math.SQRT1_2), 15);
    expect(s(50)).toBeCloseTo(0.05, 15);
    expect(s(100)).toBe(0);
    expect(s(150)).toBe(0);
    const floor = cosineDecay(0.1, 100, { alpha: 0.1 });
    expect(floor(0)).toBeCloseTo(0.1, 15);
    expect(floor(50)).toBeCloseTo(0.055, 15);
    expect(floor(100)).toBeCloseTo(0.01, 15);
  });

  it('linearWarmup ramps to the next value, then follows it', () => {
    const s = linearWarmup(10, 0.2);
    expect([s(0), s(5), s(10), s(100)]).toEqual([0, 0.1, 0.2, 0.2]);
    expect(linearWarmup(10, 0.2, { initValue: 0.1 })(5)).toBeCloseTo(0.15, 15);
    const wc = linearWarmup(10, cosineDecay(0.1, 100));
    expect(wc(5)).toBeCloseTo(0.05, 15);
    expect(wc(10)).toBe(0.1);
    expect(wc(60)).toBeCloseTo(0.05, 15);
    expect(wc(110)).toBe(0);
    expect(linearWarmup(0, 0.2)(0)).toBe(0.2);
  });

  it('piecewiseConstant switches at each boundary', () => {
    const s = piecewiseConstant([100, 200], [0.1, 0.01, 0.001]);
    expect([s(0), s(99), s(100), s(199), s(200), s(1e9)]).toEqual([0.1, 0.1, 0.01, 0.01, 0.001, 0.001]);
    expect(piecewiseConstant([], [0.5])(10)).toBe(0.5);
  });

  it('bad arguments are ValueErrors at construction', () => {
    expect(() => constant(NaN)).toThrow(ValueError);
    expect(() => exponentialDecay(1, 0)).toThrow(/decayRate/);
    expect(() => exponentialDecay(1, 0.5, { transitionSteps: 0 })).toThrow(/transitionSteps/);
    expect(() => exponentialDecay(1, 0.5, { transitionBegin: -1 })).toThrow(/transitionBegin/);
    expect(() => cosineDecay(0.1, 0)).toThrow(/decaySteps/);
    expect(() => cosineDecay(Infinity, 10)).toThrow(/initValue/);
    expect(() => linearWarmup(-1, 0.1)).toThrow(/warmupSteps/);
    expect(() => linearWarmup(1.5, 0.1)).toThrow(ValueError);
    expect(() => piecewiseConstant([10], [1])).toThrow(/one value more than boundaries/);
    expect(() => piecewiseConstant([20, 10], [1, 2, 3])).toThrow(/increase strictly/);
    expect(() => piecewiseConstant([10], [1, NaN])).toThrow(/values\[1\]/);
  });
});

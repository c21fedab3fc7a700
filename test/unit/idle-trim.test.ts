import { describe, expect, it } from 'vitest';
import { shouldTrim } from '../../server/ops/idle-trim.js';

const MB = 1024 * 1024;
/** startIdleTrim's defaults. */
const rule = { idleBelow: 0.01, slackBytes: 8 * MB };
const young = (committedMb: number, usedMb: number) => ({ committedBytes: committedMb * MB, usedBytes: usedMb * MB });

describe('idle trim: when a minor GC runs (server/ops/idle-trim.ts)', () => {
  it('runs when the loop was idle and the young generation holds more unused than the slack', () => {
    // The measured idle server: 28.8 MB committed, 5 MB used.
    expect(shouldTrim({ busy: 0.002, young: young(28.8, 5) }, rule)).toBe(true);
  });

  it('runs at exactly the slack, and not one byte below it', () => {
    expect(shouldTrim({ busy: 0, young: { committedBytes: 10 * MB, usedBytes: 2 * MB } }, rule)).toBe(true);
    expect(shouldTrim({ busy: 0, young: { committedBytes: 10 * MB, usedBytes: 2 * MB + 1 } }, rule)).toBe(false);
  });

  it('does nothing under load, however much of the young generation is unused', () => {
    expect(shouldTrim({ busy: 0.01, young: young(30, 1) }, rule)).toBe(false);
    expect(shouldTrim({ busy: 0.95, young: young(30, 1) }, rule)).toBe(false);
  });

  it('does nothing when the young generation is already small', () => {
    expect(shouldTrim({ busy: 0, young: young(1, 0.5) }, rule)).toBe(false);
  });

  it('does nothing when V8 reports no young generation', () => {
    expect(shouldTrim({ busy: 0, young: undefined }, rule)).toBe(false);
  });

  it('follows the thresholds it is given', () => {
    const lenient = { idleBelow: 0.5, slackBytes: 1 * MB };
    expect(shouldTrim({ busy: 0.3, young: young(4, 2) }, lenient)).toBe(true);
    expect(shouldTrim({ busy: 0.3, young: young(4, 2) }, rule)).toBe(false);
  });
});

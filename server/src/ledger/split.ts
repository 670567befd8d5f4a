/**
 * L5: the expert's part is `floor(amount × expertPercent / 100)`; the platform takes the rest,
 * so the parts always add up to the amount exactly and rounding favours neither side by more
 * than one minor unit.
 */
export function split(amount: number, expertPercent: number): { expert: number; platform: number } {
  if (!Number.isSafeInteger(amount) || amount < 0)
    throw new RangeError(`amount must be a non-negative integer, got ${amount}`);
  if (!Number.isInteger(expertPercent) || expertPercent < 0 || expertPercent > 100)
    throw new RangeError(`bad percent ${expertPercent}`);
  const expert = Math.floor((amount * expertPercent) / 100);
  return { expert, platform: amount - expert };
}

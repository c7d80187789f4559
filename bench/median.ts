// The median of a bench's repeated figures: the middle one, or the mean of the two middle ones.

export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return ((sorted[(sorted.length - 1) >> 1] as number) + (sorted[sorted.length >> 1] as number)) / 2;
}

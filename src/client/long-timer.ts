// Timers of any length. Node's setTimeout takes at most 2^31-1 ms (about 24.8 days, 596 h): a
// longer delay fires at once, with only a warning. A task's `timeout` can be "720h", so every
// client wait that comes from configuration or from a task goes through here, chained in steps.

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** Calls `callback` once, `ms` from now, however long that is; `clear` cancels it. */
export function setLongTimeout(callback: () => void, ms: number): LongTimer {
  const due = Date.now() + Math.max(0, ms);
  let timer: NodeJS.Timeout | undefined;
  let cleared = false;
  const arm = (remaining: number) => {
    timer = setTimeout(() => {
      if (cleared) return;
      const left = due - Date.now();
      // Only whole chained steps are re-armed; the last one fires however close it came.
      if (remaining > MAX_TIMER_MS && left > 0) arm(left);
      else callback();
    }, Math.min(remaining, MAX_TIMER_MS));
  };
  arm(Math.max(0, ms));
  return {
    clear: () => {
      cleared = true;
      clearTimeout(timer);
    },
  };
}

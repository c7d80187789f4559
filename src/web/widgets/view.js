// The one area pages draw into, which page is shown now, and the live refresh of it.
import { ApiError } from './api.js';
import { message, replaceChildren } from './dom.js';

export const view = document.getElementById('view');

const LIVE_INTERVAL_MS = 2000;

/** Bumped on every navigation, so a stale refresh never draws over the page shown now. */
let generation = 0;
let liveTimer;

/** Starts a new page: stops following the old one and answers the new page's generation. */
export function nextGeneration() {
  stopLive();
  return ++generation;
}

export function isShown(shownGeneration) {
  return shownGeneration === generation;
}

export function stopLive() {
  clearTimeout(liveTimer);
  liveTimer = undefined;
}

/** Runs `refresh` once after a pause, unless the page shown has changed meanwhile; `refresh` calls it again while there is something to follow. */
export function keepLive(shownGeneration, refresh) {
  stopLive();
  liveTimer = setTimeout(async () => {
    if (shownGeneration !== generation) return;
    await refresh().catch(() => undefined);
  }, LIVE_INTERVAL_MS);
}

export function showError(error) {
  if (error instanceof ApiError && error.status === 401) return;
  replaceChildren(view, message(error.message, 'error'));
}

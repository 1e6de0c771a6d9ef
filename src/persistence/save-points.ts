/**
 * The `save <seconds> <changes> [<seconds> <changes> ...]` policy: snapshot automatically once at least
 * <changes> writes happened and more than <seconds> elapsed since the last successful save.
 */

export interface SavePoint {
  seconds: number;
  changes: number;
}

/** After a failed BGSAVE, automatic saves are retried no sooner than this (Redis's CONFIG_BGSAVE_RETRY_DELAY). */
export const BGSAVE_RETRY_DELAY_SECONDS = 5;

/** Parses the stored form of the `save` directive ("3600 1 300 100", or "" when disabled). */
export function parseSavePoints(value: string): SavePoint[] {
  const words = value.split(/\s+/).filter((w) => w.length > 0);
  const points: SavePoint[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) {
    points.push({ seconds: Number(words[i]), changes: Number(words[i + 1]) });
  }
  return points;
}

export interface SaveState {
  /** Changes since the last successful save (server.dirty). */
  dirty: number;
  /** Unix seconds of the last successful save. */
  lastSave: number;
  /** Unix seconds of the last BGSAVE attempt, successful or not. */
  lastBgsaveTry: number;
  lastBgsaveOk: boolean;
}

/**
 * The save point that is due now, if any (Redis's serverCron check). A failed background save does not
 * stop the policy, but it is retried only after BGSAVE_RETRY_DELAY_SECONDS so a full disk is not
 * hammered.
 */
export function dueSavePoint(
  points: readonly SavePoint[],
  state: SaveState,
  nowSec: number,
): SavePoint | undefined {
  const retryAllowed = state.lastBgsaveOk || nowSec - state.lastBgsaveTry > BGSAVE_RETRY_DELAY_SECONDS;
  if (!retryAllowed) return undefined;
  return points.find((p) => state.dirty >= p.changes && nowSec - state.lastSave > p.seconds);
}

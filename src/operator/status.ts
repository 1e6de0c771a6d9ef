import type { ReplicatedCache, ReplicatedCacheStatus } from './api.js';

type Condition = NonNullable<ReplicatedCacheStatus['conditions']>[number];

/** Sets a condition, keeping lastTransitionTime when its status did not change (Kubernetes convention). */
export function setCondition(
  conditions: Condition[],
  next: Omit<Condition, 'lastTransitionTime'>,
  now: string,
): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : now;
  return [...conditions.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }].sort((a, b) =>
    a.type.localeCompare(b.type),
  );
}

/**
 * What a status write would change, ignoring the fields that move on their own (offsets, lag): a status
 * is only written when this differs, so a quiet cache causes no writes at all.
 */
export function materialStatus(status: ReplicatedCacheStatus | undefined): string {
  if (!status) return '';
  const nodes = (status.nodes ?? []).map((n) => ({
    name: n.name,
    role: n.role,
    ready: n.ready,
    linkStatus: n.linkStatus,
  }));
  return JSON.stringify({
    ...status,
    nodes,
    conditions: status.conditions?.map(({ lastTransitionTime: _t, ...c }) => c),
  });
}

export function statusChanged(cache: ReplicatedCache, next: ReplicatedCacheStatus): boolean {
  return materialStatus(cache.status) !== materialStatus(next);
}

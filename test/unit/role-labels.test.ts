import { describe, expect, it } from 'vitest';
import { LEAVE_REPLICAS_SERVICE_AFTER_MS, roleLabelPatches } from '../../src/operator/role-labels.js';

const ROLE = 'rcache.dev/role';
const READ = 'rcache.dev/read-replica';
const replica = { [ROLE]: 'replica', [READ]: 'true' };

describe('roleLabelPatches', () => {
  it('labels a first master and its replicas; the master never joins the replicas Service', () => {
    const pods = ['c-0', 'c-1', 'c-2'].map((name) => ({ name, labels: {}, current: true }));
    expect(roleLabelPatches(pods, 'c-0', 0)).toEqual([
      { pod: 'c-0', labels: { [ROLE]: 'master' } },
      { pod: 'c-1', labels: replica },
      { pod: 'c-2', labels: replica },
    ]);
  });

  it('puts a new master in the master Service first, and takes it out of the replicas Service only later', () => {
    const pods = [
      { name: 'c-0', labels: replica, current: true },
      { name: 'c-1', labels: { [ROLE]: 'master' }, current: true },
      { name: 'c-2', labels: replica, current: true },
    ];
    // c-2 is promoted while c-1, the old master, is demoted: c-2's patch comes first and keeps READ.
    expect(roleLabelPatches(pods, 'c-2', 0)).toEqual([
      { pod: 'c-2', labels: { [ROLE]: 'master' } },
      { pod: 'c-1', labels: replica },
    ]);
    const promoted = [
      pods[0]!,
      { ...pods[1]!, labels: replica },
      { ...pods[2]!, labels: { [ROLE]: 'master', [READ]: 'true' } },
    ];
    expect(roleLabelPatches(promoted, 'c-2', LEAVE_REPLICAS_SERVICE_AFTER_MS - 1)).toEqual([]);
    expect(roleLabelPatches(promoted, 'c-2', LEAVE_REPLICAS_SERVICE_AFTER_MS)).toEqual([
      { pod: 'c-2', labels: { [READ]: null } },
    ]);
  });

  it('leaves pods it cannot vouch for (terminating, unreachable) alone, and patches nothing when all is right', () => {
    const pods = [
      { name: 'c-0', labels: { [ROLE]: 'master' }, current: false },
      { name: 'c-1', labels: { [ROLE]: 'master' }, current: true },
      { name: 'c-2', labels: replica, current: true },
    ];
    expect(roleLabelPatches(pods, 'c-1', 5000)).toEqual([]);
  });
});

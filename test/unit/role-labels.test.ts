import { describe, expect, it } from 'vitest';
import {
  LEAVE_REPLICAS_SERVICE_AFTER_MS,
  roleLabelPatches,
  servicesChangedAt,
} from '../../src/operator/role-labels.js';

const ROLE = 'rcache.dev/role';
const WRITES = 'rcache.dev/serves-writes';
const READ = 'rcache.dev/read-replica';
const replica = { [ROLE]: 'replica', [READ]: 'true' };
const master = { [ROLE]: 'master', [WRITES]: 'true' };
const live = { reachable: true, terminating: false };

describe('roleLabelPatches', () => {
  it('labels a first master and its replicas, which join the replicas Service a while later', () => {
    const pods = ['c-0', 'c-1', 'c-2'].map((name) => ({ name, labels: {}, ...live }));
    expect(roleLabelPatches(pods, 'c-0', 0)).toEqual([
      { pod: 'c-0', labels: { [WRITES]: 'true' } },
      { pod: 'c-1', labels: { [ROLE]: 'replica' } },
      { pod: 'c-2', labels: { [ROLE]: 'replica' } },
      { pod: 'c-0', labels: { [ROLE]: 'master' } },
    ]);
    const labelled = [
      { name: 'c-0', labels: master, ...live },
      { name: 'c-1', labels: { [ROLE]: 'replica' }, ...live },
      { name: 'c-2', labels: { [ROLE]: 'replica' }, ...live },
    ];
    expect(roleLabelPatches(labelled, 'c-0', LEAVE_REPLICAS_SERVICE_AFTER_MS)).toEqual([
      { pod: 'c-1', labels: { [READ]: 'true' } },
      { pod: 'c-2', labels: { [READ]: 'true' } },
    ]);
  });

  it('on a master change: the new master joins the master Service, the old one leaves, then the role moves', () => {
    const pods = [
      { name: 'c-0', labels: replica, ...live },
      { name: 'c-1', labels: master, ...live },
      { name: 'c-2', labels: replica, ...live },
    ];
    // Never two pods labelled role=master, even between patches; the replicas Service stays as it is.
    expect(roleLabelPatches(pods, 'c-2', 0)).toEqual([
      { pod: 'c-2', labels: { [WRITES]: 'true' } },
      { pod: 'c-1', labels: { [ROLE]: 'replica', [WRITES]: null } },
      { pod: 'c-2', labels: { [ROLE]: 'master' } },
    ]);
  });

  it('swaps the old and the new master in the replicas Service only a while later', () => {
    const pods = [
      { name: 'c-0', labels: replica, ...live },
      { name: 'c-1', labels: { [ROLE]: 'replica' }, ...live },
      { name: 'c-2', labels: { ...master, [READ]: 'true' }, ...live },
    ];
    expect(roleLabelPatches(pods, 'c-2', LEAVE_REPLICAS_SERVICE_AFTER_MS - 1)).toEqual([]);
    expect(roleLabelPatches(pods, 'c-2', LEAVE_REPLICAS_SERVICE_AFTER_MS)).toEqual([
      { pod: 'c-1', labels: { [READ]: 'true' } },
      { pod: 'c-2', labels: { [READ]: null } },
    ]);
  });

  it('lets a pod join the replicas Service only a pass after it left the master Service', () => {
    // A master demoted long after the new master took over (the operator restarted meanwhile, say).
    const pods = [
      { name: 'c-0', labels: { ...master, [ROLE]: 'replica' }, ...live },
      { name: 'c-1', labels: master, ...live },
    ];
    expect(roleLabelPatches(pods, 'c-1', 5000)).toEqual([{ pod: 'c-0', labels: { [WRITES]: null } }]);
    const next = [{ name: 'c-0', labels: { [ROLE]: 'replica' }, ...live }, pods[1]!];
    expect(roleLabelPatches(next, 'c-1', 5000)).toEqual([{ pod: 'c-0', labels: { [READ]: 'true' } }]);
  });

  it('leaves terminating pods alone, and patches nothing when all is right', () => {
    const pods = [
      { name: 'c-0', labels: master, reachable: true, terminating: true },
      { name: 'c-1', labels: master, ...live },
      { name: 'c-2', labels: replica, ...live },
    ];
    expect(roleLabelPatches(pods, 'c-1', 5000)).toEqual([]);
  });

  it('takes a dead old master out of the master Service at once, and says nothing else of it', () => {
    const pods = [
      { name: 'c-0', labels: master, reachable: false, terminating: false },
      { name: 'c-1', labels: replica, ...live },
      { name: 'c-2', labels: replica, reachable: false, terminating: false },
    ];
    expect(roleLabelPatches(pods, 'c-1', 0)).toEqual([
      { pod: 'c-1', labels: { [WRITES]: 'true' } },
      { pod: 'c-0', labels: { [ROLE]: 'replica', [WRITES]: null } },
      { pod: 'c-1', labels: { [ROLE]: 'master' } },
    ]);
  });
});

describe('servicesChangedAt', () => {
  it('is the later of the last relabelling and the end of the second a pod last turned (un)ready', () => {
    const relabelled = Date.parse('2026-11-26T07:00:00.500Z');
    expect(servicesChangedAt(relabelled, ['2026-11-26T06:59:58Z', undefined])).toBe(relabelled);
    expect(servicesChangedAt(relabelled, ['2026-11-26T07:00:01Z', '2026-11-26T06:00:00Z'])).toBe(
      Date.parse('2026-11-26T07:00:01.999Z'),
    );
    expect(servicesChangedAt(undefined, ['not a time', undefined])).toBe(0);
  });
});

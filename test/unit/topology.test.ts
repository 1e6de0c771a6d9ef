import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideTopology, type ObservedNode, type TopologyInput } from '../../src/operator/topology.js';

const hostOf = (pod: string) => `${pod}.c-headless.ns.svc.cluster.local`;

function node(ordinal: number, extra: Partial<ObservedNode> = {}): ObservedNode {
  return {
    pod: `c-${ordinal}`,
    ordinal,
    terminating: false,
    reachable: true,
    unreachableForMs: 0,
    role: 'replica',
    fenced: false,
    masterHost: hostOf('c-0'),
    linkUp: true,
    linkDownForSec: 0,
    offset: 100,
    ...extra,
  };
}

function input(nodes: ObservedNode[], extra: Partial<TopologyInput> = {}): TopologyInput {
  return { desired: nodes.length, currentMaster: 'c-0', nodes, downAfterMillis: 1000, hostOf, ...extra };
}

/** Applies actions to the observed nodes as the servers would react, for idempotence checks. */
function apply(nodes: ObservedNode[], actions: ReturnType<typeof decideTopology>['actions']): ObservedNode[] {
  return nodes.map((n) => {
    let out = n;
    for (const a of actions) {
      if (a.kind === 'promote' && a.pod === n.pod)
        out = { ...out, role: 'master', fenced: false, masterHost: undefined };
      if (a.kind === 'follow' && a.pod === n.pod)
        out = { ...out, role: 'replica', fenced: false, masterHost: hostOf(a.master) };
    }
    return out;
  });
}

describe('topology decision', () => {
  it('makes ordinal 0 master on first start and points the others at its DNS name', () => {
    const nodes = [0, 1, 2].map((i) =>
      node(i, { fenced: true, role: 'master', masterHost: undefined, offset: 0 }),
    );
    const d = decideTopology(input(nodes, { currentMaster: undefined }));
    expect(d.master).toBe('c-0');
    expect(d.masterChanged).toBe(true);
    expect(d.actions).toEqual([
      { kind: 'promote', pod: 'c-0', reason: 'initial master (ordinal 0)' },
      { kind: 'follow', pod: 'c-1', master: 'c-0', reason: 'node started: assigning its role' },
      { kind: 'follow', pod: 'c-2', master: 'c-0', reason: 'node started: assigning its role' },
    ]);
  });

  it('does nothing when the group is already correct', () => {
    const nodes = [node(0, { role: 'master', masterHost: undefined }), node(1), node(2)];
    expect(decideTopology(input(nodes))).toEqual({ master: 'c-0', masterChanged: false, actions: [] });
  });

  it('promotes the replica with the highest offset when the master pod is gone (ties: lowest ordinal)', () => {
    const nodes = [
      node(0, {
        terminating: true,
        reachable: false,
        unreachableForMs: 5000,
        role: undefined,
        masterHost: undefined,
      }),
      node(1, { offset: 90 }),
      node(2, { offset: 120 }),
      node(3, { offset: 120 }),
    ];
    const d = decideTopology(input(nodes));
    expect(d.master).toBe('c-2');
    expect(d.actions[0]).toMatchObject({ kind: 'promote', pod: 'c-2' });
    expect(d.actions.filter((a) => a.kind === 'follow').map((a) => a.pod)).toEqual(['c-1', 'c-3']);
  });

  it('never promotes a fenced (restarted, possibly empty) node', () => {
    const nodes = [
      node(0, { reachable: false, unreachableForMs: 5000, role: undefined }),
      node(1, { fenced: true, role: 'master', masterHost: undefined, offset: 0 }),
    ];
    const d = decideTopology(input(nodes));
    expect(d.master).toBeUndefined();
    expect(d.problem).toMatch(/no replica is safe/);
  });

  it('waits downAfterMillis before failing over an unreachable master', () => {
    const nodes = [node(0, { reachable: false, unreachableForMs: 400, role: undefined }), node(1)];
    expect(decideTopology(input(nodes)).actions).toEqual([]);
    const later = [node(0, { reachable: false, unreachableForMs: 1500, role: undefined }), node(1)];
    expect(decideTopology(input(later)).master).toBe('c-1');
  });

  it('fails over when the master restarted (it answers, fenced) instead of trusting its maybe-empty data', () => {
    const nodes = [
      node(0, { fenced: true, role: 'master', masterHost: undefined, offset: 0 }),
      node(1, { offset: 500 }),
    ];
    const d = decideTopology(input(nodes));
    expect(d.master).toBe('c-1');
    expect(d.actions).toContainEqual(expect.objectContaining({ kind: 'follow', pod: 'c-0', master: 'c-1' }));
  });

  it('repairs drift: a hand-promoted replica and a replica of the wrong host are re-pointed', () => {
    const nodes = [
      node(0, { role: 'master', masterHost: undefined }),
      node(1, { role: 'master', masterHost: undefined }),
      node(2, { masterHost: 'elsewhere' }),
    ];
    const d = decideTopology(input(nodes));
    expect(d.master).toBe('c-0');
    expect(d.actions.map((a) => [a.kind, a.pod])).toEqual([
      ['follow', 'c-1'],
      ['follow', 'c-2'],
    ]);
  });

  it('hands the role over before a scale-down removes the master ordinal', () => {
    const nodes = [
      node(0, { offset: 10 }),
      node(1, { offset: 20 }),
      node(2, { role: 'master', masterHost: undefined }),
    ].map((n) => ({ ...n, masterHost: n.role === 'replica' ? hostOf('c-2') : undefined }));
    const d = decideTopology(input(nodes, { currentMaster: 'c-2', desired: 2 }));
    expect(d.actions).toEqual([
      { kind: 'switchover', from: 'c-2', to: 'c-1', reason: 'scale down removes c-2' },
    ]);
  });

  it('waits while a master being deleted still serves (its preStop hands the role over), then adopts the new master', () => {
    const serving = [node(0, { terminating: true, role: 'master', masterHost: undefined }), node(1), node(2)];
    expect(decideTopology(input(serving))).toEqual({
      master: undefined,
      masterChanged: false,
      actions: [],
      awaitingHandover: true,
    });
    const handedOver = [
      node(0, { terminating: true, role: 'replica', masterHost: hostOf('c-1') }),
      node(1, { role: 'master', masterHost: undefined }),
      node(2),
    ];
    const d = decideTopology(input(handedOver));
    expect(d).toMatchObject({ master: 'c-1', masterChanged: true });
    expect(d.actions).toEqual([
      { kind: 'follow', pod: 'c-2', master: 'c-1', reason: `follows ${hostOf('c-0')} instead of c-1` },
    ]);
  });

  it('waits while a handover is in flight: the old master follows its target, which is not master yet', () => {
    // The preStop hook's FAILOVER names the target by IP; the target still follows the old master.
    const nodes = [
      node(0, { terminating: true, role: 'replica', masterHost: '10.0.0.12' }),
      node(1, { address: '10.0.0.11', offset: 500 }),
      node(2, { address: '10.0.0.12', offset: 500 }),
    ];
    expect(decideTopology(input(nodes))).toEqual({
      master: undefined,
      masterChanged: false,
      actions: [],
      awaitingHandover: true,
    });
    // Once the target has taken the role, it is the master; the other replica is re-pointed to it.
    nodes[2] = { ...nodes[2]!, role: 'master', masterHost: undefined };
    const d = decideTopology(input(nodes));
    expect(d).toMatchObject({ master: 'c-2', masterChanged: true });
    expect(d.actions).toEqual([
      { kind: 'follow', pod: 'c-1', master: 'c-2', reason: `follows ${hostOf('c-0')} instead of c-2` },
    ]);
  });

  it('finishes a failover an earlier reconcile started', () => {
    const nodes = [
      node(0, { terminating: true, role: 'master', masterHost: undefined }),
      node(1, { role: 'master', masterHost: undefined, offset: 300 }),
      node(2),
    ];
    const d = decideTopology(input(nodes));
    expect(d.master).toBe('c-1');
    expect(d.actions).toEqual([
      { kind: 'follow', pod: 'c-2', master: 'c-1', reason: `follows ${hostOf('c-0')} instead of c-1` },
    ]);
  });

  it('properties: one master at most, never a fenced promotion, and idempotent once applied', () => {
    const arbNode = (ordinal: number) =>
      fc
        .record({
          terminating: fc.boolean(),
          reachable: fc.boolean(),
          fenced: fc.boolean(),
          role: fc.constantFrom('master' as const, 'replica' as const),
          follows: fc.integer({ min: 0, max: 4 }),
          offset: fc.integer({ min: 0, max: 1000 }),
        })
        .map(
          (r): ObservedNode => ({
            pod: `c-${ordinal}`,
            ordinal,
            terminating: r.terminating,
            reachable: r.reachable,
            unreachableForMs: r.reachable ? 0 : 10_000,
            role: r.reachable ? r.role : undefined,
            fenced: r.reachable ? r.fenced : undefined,
            masterHost: r.role === 'replica' ? hostOf(`c-${r.follows}`) : undefined,
            linkUp: true,
            linkDownForSec: 0,
            offset: r.offset,
          }),
        );
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbNode(i)))),
        fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
        (nodes, cm) => {
          const current = cm !== undefined && cm < nodes.length ? `c-${cm}` : undefined;
          const inp = input(nodes, { currentMaster: current });
          const d = decideTopology(inp);
          for (const a of d.actions) {
            if (a.kind === 'promote') {
              const n = nodes.find((x) => x.pod === a.pod)!;
              expect(n.reachable && !n.terminating).toBe(true);
              if (current !== undefined) expect(n.fenced).toBe(false);
            }
          }
          if (d.master === undefined || d.actions.some((a) => a.kind === 'switchover')) return;
          const after = apply(nodes, d.actions);
          const masters = after.filter(
            (n) => n.reachable && !n.terminating && n.role === 'master' && !n.fenced,
          );
          expect(masters.map((m) => m.pod)).toEqual([d.master]);
          const again = decideTopology(input(after, { currentMaster: d.master }));
          expect(again.actions).toEqual([]);
          expect(again.master).toBe(d.master);
        },
      ),
      { numRuns: 500 },
    );
  });
});

// The project's image on a real cluster, without the operator: a StatefulSet of
// 3 pods behind a headless Service. Pods become Ready, find each other by their
// stable DNS names, and replicate with REPLICAOF over those names. Also checks
// the cluster plumbing the operator relies on: ClusterIP Services (including a
// pod reaching itself through one) and the apiserver through 10.96.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kube, platform, RESP_CLIENT, type RespValue } from './support/kube.js';
import { waitFor } from './support/platform.js';

const NAME = 'rc';
const HEADLESS = 'rc-headless';
const PODS = [0, 1, 2].map((i) => `${NAME}-${i}`);

function manifest(image: string): string {
  return `
apiVersion: v1
kind: Service
metadata: {name: ${HEADLESS}}
spec:
  clusterIP: None
  selector: {app: ${NAME}}
  ports: [{name: redis, port: 6379}]
---
apiVersion: v1
kind: Service
metadata: {name: ${NAME}}
spec:
  selector: {app: ${NAME}}
  ports: [{name: redis, port: 6379}]
---
apiVersion: v1
kind: Service
metadata: {name: ${NAME}-self}
spec:
  selector: {statefulset.kubernetes.io/pod-name: ${NAME}-0}
  ports: [{name: redis, port: 6379}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${NAME}}
spec:
  serviceName: ${HEADLESS}
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: ${NAME}}}
  template:
    metadata: {labels: {app: ${NAME}}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: rcache
        image: ${image}
        imagePullPolicy: IfNotPresent
        # Other pods connect over the pod network: no password here, so protected
        # mode (on by default, as in Redis) would refuse them.
        args: [rcache-server, --protected-mode, "no"]
        ports: [{name: redis, containerPort: 6379}]
        readinessProbe:
          tcpSocket: {port: 6379}
          periodSeconds: 1
`;
}

interface PodList {
  items: {
    metadata: { name: string };
    status: { podIP?: string; conditions?: { type: string; status: string }[] };
  }[];
}

// Resolves each argument with getaddrinfo (as the server does for REPLICAOF
// hosts); names that do not resolve map to their error code.
const RESOLVE = `
const dns = require('node:dns').promises;
const names = process.argv.slice(1).filter((a) => a !== '--');
Promise.all(names.map((n) => dns.lookup(n, { family: 4 }).then((r) => [n, r.address], (e) => [n, e.code])))
  .then((pairs) => console.log(JSON.stringify(Object.fromEntries(pairs))));
`;

function infoField(info: RespValue, field: string): string | undefined {
  if (typeof info !== 'string') return undefined;
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  return m?.[1]?.trim();
}

describe('StatefulSet of the rcache image behind a headless Service', () => {
  const kube = Kube.fromContext();
  let ns = '';
  let podIPs: Record<string, string> = {};
  const fqdn = (pod: string) => `${pod}.${HEADLESS}.${ns}.svc.cluster.local`;

  beforeAll(async () => {
    ns = await kube.createNamespace('rcache-e2e-sts');
    const t0 = Date.now();
    await kube.apply(ns, manifest(platform().image));
    const pods = await waitFor(
      '3 Ready pods',
      async () => {
        const list = await kube.getJson<PodList>(ns, 'pods', '-l', `app=${NAME}`);
        const ready = list.items.filter((p) =>
          p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ready.length === 3 ? ready : undefined;
      },
      180_000,
    );
    console.log(`e2e: StatefulSet of 3 pods Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    podIPs = Object.fromEntries(pods.map((p) => [p.metadata.name, p.status.podIP ?? '']));
  });

  afterAll(async () => {
    if (ns) await kube.deleteNamespace(ns);
  });

  it('runs the image as a non-root user, with rcache-server and rcache-operator on PATH', async () => {
    const out = await kube.nodeEval<{ uid: number; server: boolean; operator: boolean }>(
      ns,
      PODS[0] as string,
      `const fs = require('node:fs');
       const onPath = (n) => process.env.PATH.split(':').some((d) => { try { fs.accessSync(d + '/' + n, fs.constants.X_OK); return true; } catch { return false; } });
       console.log(JSON.stringify({ uid: process.getuid(), server: onPath('rcache-server'), operator: onPath('rcache-operator') }));`,
    );
    expect(out).toEqual({ uid: 1000, server: true, operator: true });
  });

  it('each pod resolves the stable DNS names of the others to their pod IPs', async () => {
    for (const pod of PODS) {
      const others = PODS.filter((p) => p !== pod);
      const expected = Object.fromEntries(others.map((o) => [fqdn(o), podIPs[o]]));
      // A pod's record appears once the endpoint controller has seen it Ready,
      // a moment after the pod itself reports Ready: retry until then.
      let last: Record<string, string> = {};
      await waitFor(
        `${pod} to resolve ${others.map(fqdn).join(', ')}`,
        async () => {
          last = await kube.nodeEval<Record<string, string>>(ns, pod, RESOLVE, others.map(fqdn));
          return JSON.stringify(last) === JSON.stringify(expected);
        },
        30_000,
        500,
      ).catch(() => undefined);
      expect(last, `${pod} resolving the others`).toEqual(expected);
    }
  });

  it('REPLICAOF <pod-0 DNS name> on pods 1 and 2 links them and data flows', async () => {
    const master = PODS[0] as string;
    const replicas = PODS.slice(1);
    await kube.redis(ns, master, 'SET', 'before-link', 'v0');
    for (const r of replicas) {
      expect(await kube.redis(ns, r, 'REPLICAOF', fqdn(master), '6379')).toBe('OK');
    }
    for (const r of replicas) {
      await waitFor(
        `${r} master_link_status:up`,
        async () => infoField(await kube.redis(ns, r, 'INFO', 'replication'), 'master_link_status') === 'up',
        60_000,
        500,
      );
    }
    const info = await kube.redis(ns, master, 'INFO', 'replication');
    expect(infoField(info, 'connected_slaves')).toBe('2');

    await kube.redis(ns, master, 'SET', 'after-link', 'v1');
    for (const r of replicas) {
      expect(await kube.redis(ns, r, 'GET', 'before-link')).toBe('v0');
      await waitFor(
        `${r} to receive after-link`,
        async () => (await kube.redis(ns, r, 'GET', 'after-link')) === 'v1',
      );
    }
  });

  it('a ClusterIP Service reaches the pods, including a pod reaching itself', async () => {
    const svc = await kube.getJson<{ spec: { clusterIP: string } }>(ns, 'service', NAME);
    const self = await kube.getJson<{ spec: { clusterIP: string } }>(ns, 'service', `${NAME}-self`);
    const pod = PODS[0] as string;
    // Endpoints reach kube-proxy's rules a moment after the Service exists.
    await waitFor('PONG through the Service', async () => {
      const reply = await kube.nodeEval(ns, pod, RESP_CLIENT, [svc.spec.clusterIP, '6379', 'PING']);
      return reply === 'PONG';
    });
    // rc-self selects only rc-0: rc-0 connecting to it is hairpin traffic.
    await waitFor('PONG from rc-0 to its own Service', async () => {
      const reply = await kube.nodeEval(ns, pod, RESP_CLIENT, [self.spec.clusterIP, '6379', 'PING']);
      return reply === 'PONG';
    });
  });

  it('pods reach the apiserver through the kubernetes Service with their ServiceAccount', async () => {
    const res = await kube.nodeEval<{ status: number; user: string }>(
      ns,
      PODS[0] as string,
      `const fs = require('node:fs'); const https = require('node:https');
       const dir = '/var/run/secrets/kubernetes.io/serviceaccount/';
       const req = https.request({ host: '10.96.0.1', port: 443, path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', method: 'POST',
         ca: fs.readFileSync(dir + 'ca.crt'), servername: 'kubernetes.default.svc',
         headers: { authorization: 'Bearer ' + fs.readFileSync(dir + 'token', 'utf8'), 'content-type': 'application/json' } }, (res) => {
         let body = ''; res.on('data', (d) => body += d);
         res.on('end', () => { const j = JSON.parse(body); console.log(JSON.stringify({ status: res.statusCode, user: j.status?.userInfo?.username ?? '' })); });
       });
       req.on('error', (e) => { console.error(e.message); process.exit(1); });
       req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));`,
    );
    expect(res).toEqual({ status: 201, user: `system:serviceaccount:${ns}:default` });
  });
});

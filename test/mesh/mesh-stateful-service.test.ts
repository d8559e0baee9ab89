import { Chart, Size, Testing } from 'cdk8s';
import { AppProtocol, EffectCheck, MeshService, MeshStatefulService, ZeroTrustNamespace } from '../../src';
import { Cluster } from '../support/reachability';
import { find, synthValid } from '../support/synth';

function postgres(overrides: Record<string, unknown> = {}) {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  const data = new ZeroTrustNamespace(chart, 'data');
  const shop = new ZeroTrustNamespace(chart, 'shop');
  const orders = new MeshService(chart, 'orders', { namespace: shop, image: 'ghcr.io/acme/orders:1.0.0', port: 8080 });
  const db = new MeshStatefulService(chart, 'database', {
    namespace: data,
    image: 'docker.io/library/postgres:17.6',
    port: 5432,
    protocol: AppProtocol.TCP,
    user: 999,
    group: 999,
    env: { PGDATA: '/var/lib/postgresql/data/pgdata' },
    volumeClaims: [{ name: 'data', mountPath: '/var/lib/postgresql/data', storage: Size.gibibytes(10) }],
    writableDirectories: [{ mountPath: '/var/run/postgresql' }, { mountPath: '/tmp' }],
    ...overrides,
  });
  db.allowFrom(orders);
  return { app, chart, db, orders };
}

describe('MeshStatefulService', () => {
  test('a real PostgreSQL: StatefulSet with a claim for PGDATA, emptyDirs for the socket and /tmp, uid 999, headless Service', () => {
    // GIVEN / WHEN
    const { chart, db } = postgres();
    const manifests = synthValid(chart);
    // THEN
    const sts = find(manifests, 'StatefulSet', 'database', 'data');
    expect(manifests.filter(m => m.kind === 'Deployment' && m.metadata.name === 'database')).toEqual([]);
    expect(sts.spec.serviceName).toBe('database');
    expect(sts.spec.replicas).toBe(1);
    expect(sts.spec.selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': 'database' } });
    expect(sts.spec.volumeClaimTemplates).toEqual([{
      metadata: { name: 'data', labels: { 'app.kubernetes.io/name': 'database' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } },
    }]);
    expect(sts.spec.template.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'database' });
    const pod = sts.spec.template.spec;
    expect(pod.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } }));
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe('database');
    const app = pod.containers[0];
    expect(app.image).toBe('docker.io/library/postgres:17.6');
    expect(app.securityContext).toEqual(expect.objectContaining({
      readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, runAsUser: 999, capabilities: { drop: ['ALL'] },
    }));
    expect(app.env).toEqual([{ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' }]);
    expect(app.ports).toEqual([{ containerPort: 5432, name: 'tcp-5432', protocol: 'TCP' }]);
    expect(app.volumeMounts).toEqual(expect.arrayContaining([
      { name: 'data', mountPath: '/var/lib/postgresql/data' },
      expect.objectContaining({ mountPath: '/var/run/postgresql' }),
      expect.objectContaining({ mountPath: '/tmp' }),
    ]));
    const emptyDirs = pod.volumes.filter((v: any) => v.emptyDir);
    expect(emptyDirs.map((v: any) => v.emptyDir.sizeLimit)).toEqual(['64Mi', '64Mi']);
    expect(app.volumeMounts.filter((m: any) => m.mountPath !== '/var/lib/postgresql/data').map((m: any) => m.name).sort())
      .toEqual(emptyDirs.map((v: any) => v.name).sort());
    const svc = find(manifests, 'Service', 'database', 'data');
    expect(svc.spec.clusterIP).toBe('None');
    expect(svc.spec.selector).toEqual({ 'app.kubernetes.io/name': 'database' });
    expect(svc.spec.ports).toEqual([{ name: 'tcp-5432', port: 5432, targetPort: 5432, protocol: 'TCP' }]);
    expect(db.podHost(0)).toBe('database-0.database.data.svc.cluster.local');
  });

  test('joins the graph like a MeshService: reachability and the effect check', () => {
    const { chart } = postgres();
    const manifests = synthValid(chart);
    const cluster = new Cluster(manifests);
    const db = cluster.pod('data', 'database');
    const orders = cluster.pod('shop', 'orders');
    expect(cluster.request(orders, db, { port: 5432 }).allowed).toBe(true);
    expect(cluster.request(db, orders, { port: 8080, method: 'GET', path: '/' }).allowed).toBe(false);
    expect(cluster.request({ ...orders, name: 'x', serviceAccount: 'x', labels: { app: 'x' } }, db, { port: 5432 }).allowed).toBe(false);
    expect(find(manifests, 'AuthorizationPolicy', 'database', 'data').spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/shop/sa/orders'] } }], to: [{ operation: { ports: ['5432'] } }] },
    ]);
    expect(EffectCheck.of(chart).differences()).toEqual([]);
  });

  test.each([
    [{ volumeClaims: [] }, /invalid volumeClaims \[\]: must list at least one \{ name, mountPath, storage \}.*a workload without state is a MeshService/],
    [{ volumeClaims: [{ name: 'Data', mountPath: '/data', storage: Size.gibibytes(1) }] }, /invalid volumeClaims\[0\].name "Data": must be a DNS-1123 label/],
    [{ volumeClaims: [{ name: 'data', mountPath: 'data/../etc', storage: Size.gibibytes(1) }] }, /invalid volumeClaims\[0\].mountPath "data\/..\/etc": must be an absolute directory path/],
    [{ volumeClaims: [{ name: 'data', mountPath: '/tmp', storage: Size.gibibytes(1) }] }, /invalid volumeClaims\[0\].mountPath "\/tmp": is mounted twice/],
    [{ volumeClaims: [{ name: 'data', mountPath: '/data', storage: 10 }] }, /invalid volumeClaims\[0\].storage 10: must be a Size \(for example Size\.\w+\(\.\.\.\)\), got number/],
    [{ volumeClaims: [{ name: 'data', mountPath: '/data', storage: Size.gibibytes(1), storageClassName: 'Fast SSD' }] }, /invalid volumeClaims\[0\].storageClassName "Fast SSD"/],
    [{ writableDirectories: [{ mountPath: '/tmp' }, { mountPath: '/tmp' }] }, /invalid writableDirectories\[1\].mountPath "\/tmp": is listed twice/],
    [{ writableDirectories: [{ mountPath: '/run/$(SECRET)' }] }, /invalid writableDirectories\[0\].mountPath "\/run\/\$\(SECRET\)"/],
    [{ user: 0 }, /invalid user 0: must be an integer between 1 and 2147483647 \(0 is root\)/],
  ])('throws on hostile input %#', (overrides, error) => {
    expect(() => postgres(overrides)).toThrow(error);
  });
});

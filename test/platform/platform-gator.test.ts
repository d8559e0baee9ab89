/**
 * The chart pods against the real Gatekeeper engine: `gator test` (Gatekeeper's CLI) with the
 * pack's templates and constraints, once with its CEL driver (K8sNativeValidation, the default)
 * and once with Rego only. Runs when GATOR names a gator binary (built outside the repository,
 * for example `GATOR=/work/tools/gator npx jest test/platform/platform-gator.test.ts`); the CEL
 * of all three engines is evaluated without it in platform-component.test.ts.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Chart, Testing, Yaml } from 'cdk8s';
import { ClusterPeer, Cni, PlatformComponent, PlatformComponents, PolicyEngine, PolicyMode, ZeroTrustPolicyPack } from '../../src';
import * as engines from './fixtures/engines';
import * as istio from './fixtures/istio';
import * as operators from './fixtures/operators';

const GATOR = process.env.GATOR;

const PODS = [
  istio.ISTIOD, istio.istioCni(false), istio.ZTUNNEL, istio.INGRESS_GATEWAY, istio.WAYPOINT, istio.ACCESS_PROXY_GATEWAY,
  engines.GATEKEEPER_CONTROLLER_MANAGER, engines.GATEKEEPER_AUDIT, engines.GATEKEEPER_UPGRADE_CRDS, engines.GATEKEEPER_LABEL_NAMESPACE,
  engines.KYVERNO_ADMISSION, engines.KYVERNO_BACKGROUND, engines.KYVERNO_CLEANUP, engines.KYVERNO_REPORTS,
  operators.VAULT_INJECTOR, operators.FALCO, operators.PROMETHEUS_OPERATOR,
  operators.PROMETHEUS_OPERATOR_ADMISSION_CREATE, operators.PROMETHEUS_OPERATOR_ADMISSION_PATCH,
];

/** `gator test` on the pods: the constraints each pod violates, by `<namespace>/<name>`. */
function gatorTest(dir: string, pods: any[], cel: boolean): { status: number | null; violations: Map<string, string[]> } {
  const file = path.join(dir, `pods-${cel}.yaml`);
  fs.writeFileSync(file, Yaml.stringify(...pods));
  const run = spawnSync(GATOR!, ['test', `--enable-k8s-native-validation=${cel}`,
    '-f', path.join(dir, 'templates.yaml'), '-f', path.join(dir, 'constraints.yaml'), '-f', file], { encoding: 'utf8' });
  const violations = new Map<string, string[]>();
  // v1/Pod <namespace>/<name>: ["<constraint>"] Message: "..."
  for (const m of `${run.stdout}${run.stderr}`.matchAll(/^v1\/Pod ([a-z0-9-]+\/[a-z0-9-]+): \["([a-z0-9-]+)"\]/gm)) {
    violations.set(m[1], [...(violations.get(m[1]) ?? []), m[2]]);
  }
  return { status: run.status, violations };
}

(GATOR ? describe : describe.skip)('gator: the chart pods against the real Gatekeeper engine', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'platform-gator-'));
  beforeAll(() => {
    const chart = new Chart(Testing.app(), 'platform');
    new ZeroTrustPolicyPack(chart, 'pack', { engine: PolicyEngine.GATEKEEPER, mode: PolicyMode.ENFORCE, allowedRegistries: ['ghcr.io/acme/'], systemNamespaces: ['kube-system'] });
    new PlatformComponents(chart, 'components', {
      apiServer: ClusterPeer.kubernetesApiServer({ cni: Cni.CILIUM }),
      components: [
        PlatformComponent.istiod(), PlatformComponent.istioCni(), PlatformComponent.ztunnel(),
        PlatformComponent.istioGateway({ name: 'istio-ingressgateway', namespace: 'istio-ingress' }),
        PlatformComponent.waypoint({ name: 'waypoint', namespace: 'shop' }),
        PlatformComponent.kubernetesGateway({ name: 'access-proxy', namespace: 'edge', runtimeDefaultSeccomp: true }),
        PlatformComponent.gatekeeper(), PlatformComponent.kyverno(), PlatformComponent.vaultAgentInjector(), PlatformComponent.falco(),
        PlatformComponent.prometheusOperator(),
      ],
    });
    const objs = Testing.synth(chart);
    fs.writeFileSync(path.join(dir, 'templates.yaml'), Yaml.stringify(...objs.filter(o => o.kind === 'ConstraintTemplate')));
    fs.writeFileSync(path.join(dir, 'constraints.yaml'), Yaml.stringify(...objs.filter(o => o.apiVersion.startsWith('constraints.gatekeeper.sh/'))));
  });

  test.each([true, false])('CEL driver %s: every chart pod passes the pack in ENFORCE', cel => {
    const { status, violations } = gatorTest(dir, PODS, cel);
    expect(Object.fromEntries(violations)).toEqual({});
    expect(status).toBe(0);
  });

  test.each([true, false])('CEL driver %s: a changed image or an extra privileged container is rejected', cel => {
    const bad = PODS.flatMap(pod => {
      const image = structuredClone(pod);
      image.metadata.name += '-image';
      image.spec.containers[0].image = `evil.example/${pod.spec.containers[0].image}`;
      const privileged = structuredClone(pod);
      privileged.metadata.name += '-privileged';
      privileged.spec.containers.push({ ...structuredClone(pod.spec.containers[0]), name: 'debug', securityContext: { ...pod.spec.containers[0].securityContext, privileged: true } });
      return [image, privileged];
    });
    const { status, violations } = gatorTest(dir, bad, cel);
    expect(status).not.toBe(0);
    for (const pod of bad) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const expected = pod.metadata.name.endsWith('-image') ? 'zero-trust-allowed-registries' : 'zero-trust-privileged-containers';
      expect({ pod: key, rejectedBy: violations.get(key) ?? [] }).toEqual({ pod: key, rejectedBy: expect.arrayContaining([expected]) });
    }
  });
});

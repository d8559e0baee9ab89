import { ApiObject, Chart, JsonPatch, Testing } from 'cdk8s';
import { setup } from './_fixtures';
import { secretValueFindings } from './_no-secret-values';
import { AdoptedWorkload, OutputFile, VaultCsiSecrets, VaultExternalSecrets, VaultSecret } from '../../src';
import { find, ofKind, synthValid } from '../support/synth';
import { POD_WORKLOADS, podTemplate, workloadKinds } from '../support/workload-kinds';

function kinds() {
  const s = setup();
  return { ...s, ...workloadKinds(s.chart, s.prod) };
}

/** A plain Deployment running as its own ServiceAccount (named as the workload). */
function plainDeployment(chart: Chart, name: string): ApiObject {
  const labels = { 'app.kubernetes.io/name': name };
  return new ApiObject(chart, name, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'production' },
    spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { serviceAccountName: name, containers: [{ name, image: `ghcr.io/acme/${name}:1.0.0` }] } } },
  });
}

const files = (chart: any) => Object.fromEntries(OutputFile.of(chart.node.root).map(f => [f.relativePath, f.renderContents()]));

describe('VaultCsiSecrets and VaultExternalSecrets: every workload whose pods the app renders', () => {
  test.each(POD_WORKLOADS)('%s: a read-only CSI volume in the app container, the role bound to its own ServiceAccount', (_, key, kind, name) => {
    // GIVEN
    const before = kinds();
    const unchanged = podTemplate(synthValid(before.chart), kind, name);
    const s = kinds();
    const workload = s[key];
    // WHEN
    const csi = new VaultCsiSecrets(s.chart, 'Csi', {
      workload, vault: s.vault, secrets: [{ name: 'db-password', secret: VaultSecret.databaseCredentials(workload.workloadName), key: 'password' }],
    });
    // THEN
    const manifests = synthValid(s.chart);
    const pod = podTemplate(manifests, kind, name);
    expect(pod.spec.volumes).toEqual([...unchanged.spec.volumes ?? [], {
      name: 'vault-secrets', csi: { driver: 'secrets-store.csi.k8s.io', readOnly: true, volumeAttributes: { secretProviderClass: `${workload.workloadName}-vault` } },
    }]);
    const [app, ...others] = pod.spec.containers;
    expect(app.volumeMounts).toEqual([...unchanged.spec.containers[0].volumeMounts ?? [], { name: 'vault-secrets', mountPath: '/vault/secrets', readOnly: true }]);
    others.forEach((c: any, i: number) => expect(c.volumeMounts).toEqual(unchanged.spec.containers[i + 1].volumeMounts));
    // nothing else of the pod changed: same ServiceAccount, no token, same labels and annotations
    expect({ ...pod.spec, volumes: undefined, containers: undefined }).toEqual({ ...unchanged.spec, volumes: undefined, containers: undefined });
    expect(pod.metadata).toEqual(unchanged.metadata);
    expect(pod.spec.automountServiceAccountToken).toBe(false);
    expect(find(manifests, 'SecretProviderClass', `${workload.workloadName}-vault`, 'production').spec.parameters.roleName).toBe(`production-${workload.workloadName}`);
    expect(csi.vaultRole.toRoleJson()).toEqual(expect.objectContaining({
      bound_service_account_names: [workload.serviceAccountName], bound_service_account_namespaces: ['production'],
    }));
    expect(secretValueFindings(manifests, files(s.chart))).toEqual([]);
    expect(ofKind(manifests, 'Secret')).toEqual([]);
  });

  test.each(POD_WORKLOADS)('%s: External Secrets volumes mounted read-only (0440), authenticating as its own ServiceAccount', (_, key, kind, name) => {
    const s = kinds();
    const workload = s[key];
    new VaultExternalSecrets(s.chart, 'Eso', { workload, vault: s.vault, secrets: [{ name: 'db', secret: VaultSecret.databaseCredentials(workload.workloadName) }] });
    const manifests = synthValid(s.chart);
    const pod = podTemplate(manifests, kind, name);
    const w = workload.workloadName;
    expect(pod.spec.volumes.filter((v: any) => v.name === 'vault-db')).toEqual([{ name: 'vault-db', secret: { secretName: `${w}-db`, defaultMode: 0o440 } }]);
    expect(pod.spec.containers[0].volumeMounts.filter((m: any) => m.name === 'vault-db')).toEqual([{ name: 'vault-db', mountPath: '/vault/secrets/db', readOnly: true }]);
    expect(find(manifests, 'SecretStore', `${w}-vault-v1`, 'production').spec.provider.vault.auth.kubernetes.serviceAccountRef)
      .toEqual({ name: workload.serviceAccountName, audiences: ['vault'] });
    expect(secretValueFindings(manifests, files(s.chart))).toEqual([]);
    // the library writes no Secret: External Secrets creates it, owned by the ExternalSecret
    expect(ofKind(manifests, 'Secret')).toEqual([]);
  });

  test('container names the container that mounts the secrets; the others get nothing', () => {
    const s = kinds();
    new VaultCsiSecrets(s.chart, 'Csi', { workload: s.adoptedWeb, vault: s.vault, container: 'log-shipper', secrets: [{ name: 'token', secret: VaultSecret.kv('secret', 'production/web'), key: 'token' }] });
    const pod = podTemplate(synthValid(s.chart), 'Deployment', 'web');
    expect(pod.spec.containers.map((c: any) => [c.name, c.volumeMounts])).toEqual([
      ['web', undefined],
      ['log-shipper', [{ name: 'vault-secrets', mountPath: '/vault/secrets', readOnly: true }]],
    ]);
  });

  test('an adopted workload\'s ServiceAccount is read at synthesis: a change after the secrets were declared is what the SecretStore and the role name', () => {
    const s = kinds();
    const eso = new VaultExternalSecrets(s.chart, 'Eso', { workload: s.adoptedCache, vault: s.vault, secrets: [{ name: 'db', secret: VaultSecret.databaseCredentials('cache') }] });
    s.cache.addJsonPatch(JsonPatch.replace('/spec/template/spec/serviceAccountName', 'cache-v2'));
    const manifests = synthValid(s.chart);
    expect(find(manifests, 'SecretStore', 'cache-vault-v1').spec.provider.vault.auth.kubernetes.serviceAccountRef.name).toBe('cache-v2');
    expect(eso.vaultRole.toRoleJson().bound_service_account_names).toEqual(['cache-v2']);
  });

  test('fails at synthesis when an adopted workload moves to the default ServiceAccount after its Vault role was declared', () => {
    const s = kinds();
    const shared = new AdoptedWorkload(s.chart, 'shared-adopted', { workload: plainDeployment(s.chart, 'shared'), namespace: s.prod, allowDefaultServiceAccount: true });
    new VaultCsiSecrets(s.chart, 'Csi', { workload: shared, vault: s.vault, secrets: [{ name: 'p', secret: VaultSecret.databaseCredentials('shared'), key: 'password' }] });
    (shared.workloadObject as ApiObject).addJsonPatch(JsonPatch.remove('/spec/template/spec/serviceAccountName'));
    expect(() => Testing.synth(s.chart)).toThrow(/\[test\/Csi\/VaultRole\] invalid serviceAccountName "default": a Vault role must not trust the 'default' ServiceAccount/);
  });

  test('an ExternalWorkload gets a clear error: the app cannot mount volumes into pods it does not render', () => {
    const s = kinds();
    const secrets = [{ name: 'db', secret: VaultSecret.databaseCredentials('ingress'), key: 'password' }];
    const fix = 'is a workload outside this app (its pods are rendered where it is installed), so the app cannot mount volumes into its pods; '
      + 'define its Vault role with VaultKubernetesRole and mount the secrets in its own chart; or, when the app defines the workload object, adopt it with AdoptedWorkload';
    expect(() => new VaultCsiSecrets(s.chart, 'Csi', { workload: s.ingress, vault: s.vault, secrets })).toThrow(`[test/Csi] invalid workload "test/ingress": ${fix}`);
    expect(() => new VaultExternalSecrets(s.chart, 'Eso', { workload: s.ingress, vault: s.vault, secrets })).toThrow(`[test/Eso] invalid workload "test/ingress": ${fix}`);
  });

  test('fails at synthesis on a missing container, a volume name or mount path the pod already uses', () => {
    const secrets = [{ name: 'p', secret: VaultSecret.databaseCredentials('web'), key: 'password' }];
    let s = kinds();
    expect(() => new VaultCsiSecrets(s.chart, 'Csi', { workload: s.adoptedWeb, vault: s.vault, container: 'sidecar', secrets }))
      .toThrow('[test/Csi] invalid container "sidecar": test/web-adopted has no container of this name; name one of ["web","log-shipper"], or leave container out for the first');
    // a container removed after the secrets were declared: at synthesis
    new VaultCsiSecrets(s.chart, 'Csi2', { workload: s.adoptedCache, vault: s.vault, container: 'cache', secrets });
    s.cache.addJsonPatch(JsonPatch.replace('/spec/template/spec/containers/0/name', 'redis'));
    expect(() => Testing.synth(s.chart)).toThrow(/invalid container "cache": test\/cache-adopted has no container named cache to mount the secrets in; name one of \["redis"\]/);
    s = kinds();
    s.cache.addJsonPatch(JsonPatch.add('/spec/template/spec/volumes', [{ name: 'vault-secrets', emptyDir: {} }]));
    new VaultCsiSecrets(s.chart, 'Csi', { workload: s.adoptedCache, vault: s.vault, secrets });
    expect(() => Testing.synth(s.chart)).toThrow(/invalid volume "vault-secrets": the pod of test\/cache-adopted already has a volume of this name/);
    s = kinds();
    s.cache.addJsonPatch(JsonPatch.add('/spec/template/spec/containers/0/volumeMounts', [{ name: 'x', mountPath: '/vault/secrets' }]));
    new VaultCsiSecrets(s.chart, 'Csi', { workload: s.adoptedCache, vault: s.vault, secrets });
    expect(() => Testing.synth(s.chart)).toThrow(/invalid mountPath "\/vault\/secrets": container cache of test\/cache-adopted already mounts something there/);
    s = kinds();
    expect(() => new VaultCsiSecrets(s.chart, 'Bad', { workload: s.orders, vault: s.vault, container: 'Not A Name', secrets }))
      .toThrow(/^\[test\/Bad\] invalid container "Not A Name": must be a container name/);
  });
});

import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import { AccessLevel, NamespaceAccess, ZeroTrustNamespace } from '../../src';

/** The Kubernetes label grammar, written from the Kubernetes docs (independent of src/). */
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const isLabelKey = (k: string) => (k.includes('/') ? PREFIX.test(k.slice(0, k.indexOf('/'))) && NAME.test(k.slice(k.indexOf('/') + 1)) : NAME.test(k));
const isLabelValue = (v: string) => v === '' || NAME.test(v);

describe('hostile input: labels and RBAC subjects', () => {
  test('namespace labels are rejected, or they are Kubernetes labels and the library\'s own labels stay as it writes them', () => {
    const owned = fc.constantFrom('istio-injection', 'istio.io/rev', 'istio.io/dataplane-mode', 'pod-security.kubernetes.io/enforce', 'app.kubernetes.io/managed-by');
    fc.assert(fc.property(fc.oneof(hostile, owned), fc.oneof(hostile, fc.constantFrom('disabled', 'privileged')), (key, value) => {
      const chart = Testing.chart();
      let ns: ZeroTrustNamespace | undefined;
      const error = rejection(() => {
        ns = new ZeroTrustNamespace(chart, 'ns', { labels: { [key]: value } });
      }, /^\[test\/ns\] invalid labels/);
      if (error || !ns) return;
      const labels = Testing.synth(chart).find(o => o.kind === 'Namespace').metadata.labels;
      expect(isLabelKey(key) && isLabelValue(value)).toBe(true);
      expect(labels[key]).toBe(value);
      expect(labels).toEqual(expect.objectContaining({
        'istio-injection': 'enabled',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'app.kubernetes.io/managed-by': 'cdk8s-zero-trust',
      }));
      expect(labels['istio.io/rev']).toBeUndefined();
    }), RUNS);
  });

  test('a group is rejected, or the RoleBinding names prefix + group and it is never a system: group', () => {
    fc.assert(fc.property(fc.oneof(hostile, fc.constantFrom('s', 'sys', 'system', 'oidc:')), fc.oneof(hostile, fc.constantFrom('ystem:authenticated', 'tem:masters', ':masters')), (prefix, group) => {
      const chart = Testing.chart();
      const namespace = new ZeroTrustNamespace(chart, 'production');
      let access: NamespaceAccess | undefined;
      const error = rejection(() => {
        access = new NamespaceAccess(chart, 'access', { namespace, groupPrefix: prefix });
        access.grantDeployer(group);
      }, /^\[test\/access\] invalid (groupPrefix|group) /);
      if (error || !access) return;
      const binding = Testing.synth(chart).find(o => o.kind === 'RoleBinding');
      expect(binding.subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: `${prefix}${group}` }]);
      expect(binding.subjects[0].name.startsWith('system:')).toBe(false);
      expect(access.groupsWith(AccessLevel.DEPLOYER)).toEqual([`${prefix}${group}`]);
    }), RUNS);
  });
});

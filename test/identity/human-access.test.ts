import { Testing } from 'cdk8s';
import { AccessLevel, NamespaceAccess, ZeroTrustNamespace } from '../../src';
import { find, ofKind, synthValid } from '../support/synth';

describe('NamespaceAccess', () => {
  test('read-only and deployer groups: snapshot, least privilege, one binding per level', () => {
    const chart = Testing.chart();
    const prod = new ZeroTrustNamespace(chart, 'production');
    const access = new NamespaceAccess(chart, 'access', { namespace: prod, groupPrefix: 'oidc:' });
    const a = access.grantReadOnly('sre');
    const b = access.grantReadOnly('auditors');
    access.grantReadOnly('sre');
    access.grantDeployer('team-orders');
    expect(a).toBe(b);
    const manifests = synthValid(chart);
    const rbac = manifests.filter(m => m.apiVersion.startsWith('rbac.'));
    expect(rbac).toMatchSnapshot();
    expect(ofKind(manifests, 'ClusterRole')).toEqual([]);
    expect(ofKind(manifests, 'ClusterRoleBinding')).toEqual([]);
    expect(find(manifests, 'RoleBinding', 'zero-trust-read-only', 'production').subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:auditors' },
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:sre' },
    ]);
    expect(access.groupsWith(AccessLevel.DEPLOYER)).toEqual(['oidc:team-orders']);
    for (const role of ofKind(manifests, 'Role')) {
      for (const rule of role.rules) {
        for (const field of ['verbs', 'resources', 'apiGroups']) expect(rule[field]).not.toContain('*');
        expect(rule.resources).not.toEqual(expect.arrayContaining(['secrets']));
        expect(rule.resources).not.toEqual(expect.arrayContaining(['pods/exec']));
        expect(rule.resources).not.toEqual(expect.arrayContaining(['roles']));
      }
    }
    const readOnly = find(manifests, 'Role', 'zero-trust-read-only', 'production');
    expect([...new Set(readOnly.rules.flatMap((r: any) => r.verbs))].sort()).toEqual(['get', 'list', 'watch']);
  });

  test.each(['system:masters', 'system:authenticated', '*', ''])('fails on the group %p', group => {
    const chart = Testing.chart();
    const access = new NamespaceAccess(chart, 'access', { namespace: new ZeroTrustNamespace(chart, 'production') });
    expect(() => access.grantDeployer(group)).toThrow(new RegExp(`^\\[${chart.node.path ? `${chart.node.path}/` : ''}access\\] invalid group ${JSON.stringify(group).replace(/[*]/g, '\\$&')}: must be an OIDC group name`));
  });

  test('fails when prefix and group together name a system: group', () => {
    const chart = Testing.chart();
    const access = new NamespaceAccess(chart, 'access', { namespace: new ZeroTrustNamespace(chart, 'production'), groupPrefix: 's' });
    // 's' + 'ystem:authenticated' is every user and ServiceAccount
    expect(() => access.grantDeployer('ystem:authenticated'))
      .toThrow(/^\[test\/access\] invalid group "system:authenticated": is the subject the RoleBinding would name \(groupPrefix "s" \+ group "ystem:authenticated"\)/);
    expect(access.groupsWith(AccessLevel.DEPLOYER)).toEqual([]);
    expect(() => new NamespaceAccess(chart, 'other', { namespace: new ZeroTrustNamespace(chart, 'staging'), groupPrefix: 'system:' })).toThrow(/invalid groupPrefix "system:"/);
  });

  test('fails on a second NamespaceAccess for the same namespace', () => {
    const chart = Testing.chart();
    const prod = new ZeroTrustNamespace(chart, 'production');
    new NamespaceAccess(chart, 'a', { namespace: prod });
    expect(() => new NamespaceAccess(chart, 'b', { namespace: prod })).toThrow(/\] invalid namespace "production": .*a already defines access to this namespace/);
  });
});

import { App, Chart, Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { hostile, rejection, RUNS } from './_hostile';
import {
  CloudGrant, CloudWorkloadIdentity, IrsaTrustPolicy, MeshService, OutputFile, PodIdentityAssociation, PodIdentityTrustPolicy, ZeroTrustNamespace,
} from '../../src';

/**
 * Hostile strings in every ARN and AWS identity prop (cloud identity role and cluster ARNs, IRSA
 * issuer and audience, the KMS and Secrets Manager ARNs of grants, and the public trust-policy
 * and association constructs used on their own): each is rejected with the library's clear error,
 * or lands in the JSON exactly as declared, valid by the ARN grammars of the AWS documentation
 * (written here, not shared with src/), and without anything IAM reads as a wildcard (`*`, `?`)
 * or a policy variable (`${...}`) where IAM interprets them (condition values, principals).
 */

const IMAGE = 'ghcr.io/acme/app:1.0.0';
const ACCOUNT = '123456789012';
// IAM User Guide, "IAM identifiers": role path `/` or `/.../` of U+0021-U+007F, 1-512 characters;
// role name 1-64 of [\w+=,.@-]
const ROLE_GRAMMAR = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role(\/|\/[\x21-\x7f]+\/)([\w+=,.@-]{1,64})$/;
const ROLE = { test: (arn: string) => { const m = ROLE_GRAMMAR.exec(arn); return m !== null && m[3].length <= 512; } };
// EKS: cluster names 1-100 of [0-9A-Za-z_-], starting alphanumeric
const CLUSTER = /^arn:(aws|aws-cn|aws-us-gov):eks:[a-z]{2}(-[a-z]+)+-\d{1,2}:(\d{12}):cluster\/[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;
// an OIDC issuer without https://: a DNS host name, then URL path segments
const DNS_HOST = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
const ISSUER = (s: string) => DNS_HOST.test(s.split('/')[0]) && s.split('/').slice(1).every(seg => /^[A-Za-z0-9._~-]+$/.test(seg) && seg !== '.' && seg !== '..');
const DNS1123 = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SA_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** What IAM reads specially in a condition value or principal: wildcards, policy variables, control characters. */
const IAM_SPECIAL = /[*?$\u0000-\u001f\u007f]/;

const arnLike = (prefix: string, valid: string[]) => fc.oneof(
  { weight: 3, arbitrary: hostile.map(h => `${prefix}${h}`) },
  { weight: 1, arbitrary: hostile.map(h => `${prefix}${h}/orders`) },
  { weight: 1, arbitrary: hostile },
  { weight: 2, arbitrary: fc.constantFrom(...valid) },
);
const roleArn = arnLike(`arn:aws:iam::${ACCOUNT}:role/`, [
  `arn:aws:iam::${ACCOUNT}:role/orders`, `arn:aws:iam::${ACCOUNT}:role/team/orders`, `arn:aws:iam::${ACCOUNT}:role/*`,
  `arn:aws:iam::${ACCOUNT}:role/\${aws:username}`, `arn:aws:iam::${ACCOUNT}:role/a/${'p'.repeat(600)}/x`, `arn:aws:iam::${ACCOUNT}:role/o\u0430ders`,
]);
const clusterArn = arnLike(`arn:aws:eks:us-east-1:${ACCOUNT}:cluster/`, [
  `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod`, `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/*`, `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/\${aws:RequestTag/eks-cluster-arn}`,
]);

function appWith(): { app: App; chart: Chart } {
  const app = Testing.app();
  return { app, chart: new Chart(app, 'c') };
}

/** The workload `c/orders` in namespace prod, with `identity`. */
function orders(chart: Chart, identity: CloudWorkloadIdentity): MeshService {
  return new MeshService(chart, 'orders', { namespace: new ZeroTrustNamespace(chart, 'prod'), image: IMAGE, port: 8080, cloudIdentity: identity });
}

function files(app: App): { [path: string]: any } {
  return Object.fromEntries(OutputFile.of(app).map(f => [f.relativePath, JSON.parse(f.renderContents())]));
}

describe('hostile input: ARNs and AWS identity props', () => {
  test('eksPodIdentity roleArn and clusterArn: rejected, or exactly in the association and the trust policy, valid ARNs without wildcards or policy variables in the condition', () => {
    const tally = { accepted: 0, rejected: 0 };
    fc.assert(fc.property(roleArn, clusterArn, (role, cluster) => {
      const { app, chart } = appWith();
      const error = rejection(() => {
        orders(chart, CloudWorkloadIdentity.eksPodIdentity({ roleArn: role, clusterArn: cluster }));
      }, /^\[c\/orders\] invalid cloudIdentity\.(roleArn|clusterArn) .*: must .*/);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      expect(ROLE.test(role) && role.length <= 2048).toBe(true);
      expect(CLUSTER.test(cluster)).toBe(true);
      expect(IAM_SPECIAL.test(cluster)).toBe(false);
      const out = files(app);
      expect(out['aws/eks/prod-orders.pod-identity-association.json']).toEqual({
        clusterName: cluster.split('/')[1], namespace: 'prod', serviceAccount: 'orders', roleArn: role, disableSessionTags: false,
      });
      const trust = out['aws/iam/prod-orders.trust-policy.json'];
      expect(trust.Statement[0].Condition.StringEquals['aws:RequestTag/eks-cluster-arn']).toBe(cluster);
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('awsIrsa roleArn, oidcIssuer and audience: rejected, or the annotation and the trust policy name exactly that role, provider and audience', () => {
    const tally = { accepted: 0, rejected: 0 };
    const issuer = fc.oneof(hostile, hostile.map(h => `oidc.eks.us-east-1.amazonaws.com/id/${h}`), hostile.map(h => `${h}.example.com`),
      fc.constantFrom('oidc.eks.us-east-1.amazonaws.com/id/ABC', '..', '-', 'a..b/c', 'oidc.example.com/..', 'OIDC.example.com'));
    const audience = fc.oneof(hostile, fc.constantFrom('sts.amazonaws.com', '${oidc.eks.us-east-1.amazonaws.com/id/ABC:aud}', 'a$b', 'aud"x'));
    fc.assert(fc.property(roleArn, issuer, audience, (role, oidcIssuer, aud) => {
      const { app, chart } = appWith();
      const error = rejection(() => {
        orders(chart, CloudWorkloadIdentity.awsIrsa({ roleArn: role, oidcIssuer, audience: aud }));
      }, /^\[c\/orders\] invalid cloudIdentity\.(roleArn|oidcIssuer|audience) .*: must .*/);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      expect(ROLE.test(role)).toBe(true);
      expect(ISSUER(oidcIssuer)).toBe(true);
      expect(aud.length > 0 && !IAM_SPECIAL.test(aud) && !/\s/.test(aud)).toBe(true);
      const sa = Testing.synth(chart).find(o => o.kind === 'ServiceAccount');
      expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(role);
      const trust = files(app)['aws/iam/prod-orders.trust-policy.json'];
      expect(trust.Statement[0].Principal.Federated).toBe(`arn:aws:iam::${ACCOUNT}:oidc-provider/${oidcIssuer}`);
      expect(trust.Statement[0].Condition).toEqual({ StringEquals: { [`${oidcIssuer}:sub`]: 'system:serviceaccount:prod:orders', [`${oidcIssuer}:aud`]: aud } });
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });

  test('grants: KMS key and Secrets Manager ARNs are rejected, or the exact single resource of their statement', () => {
    const tally = { accepted: 0, rejected: 0 };
    const keyArn = arnLike(`arn:aws:kms:us-east-1:${ACCOUNT}:key/`, [`arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, `arn:aws:kms:us-east-1:${ACCOUNT}:key/*`, `arn:aws:kms:us-east-1:${ACCOUNT}:alias/x`]);
    const secretArn = arnLike(`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:`, [`arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-AbCdEf`, `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:*`]);
    const VALID_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const VALID_SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:db-AbCdEf`;
    const pair = fc.oneof(keyArn.map(k => [k, VALID_SECRET]), secretArn.map(s => [VALID_KEY, s]));
    fc.assert(fc.property(pair, ([key, secret]) => {
      const { app, chart } = appWith();
      const error = rejection(() => {
        orders(chart, CloudWorkloadIdentity.eksPodIdentity({
          roleArn: `arn:aws:iam::${ACCOUNT}:role/orders`,
          clusterArn: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod`,
          grants: [CloudGrant.awsKmsDecrypt({ keyArn: key }), CloudGrant.awsSecretRead({ secretArn: secret })],
        }));
        OutputFile.of(app).map(f => f.renderContents());
      }, /^\[(c\/orders|CloudGrant\.\w+)\] invalid /);
      if (error) { tally.rejected++; return; }
      tally.accepted++;
      expect(/^arn:aws:kms:us-east-1:\d{12}:key\/([0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/.test(key)).toBe(true);
      expect(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/.test(secret)).toBe(true);
      const policy = Object.values(files(app)).find(d => JSON.stringify(d).includes('kms:Decrypt'));
      const resources = policy.Statement.map((s: any) => [s.Resource].flat());
      expect(resources).toContainEqual([key]);
      expect(resources).toContainEqual([secret]);
    }), RUNS);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.rejected).toBeGreaterThan(0);
  });
});

describe('hostile input: the trust-policy and association constructs used on their own', () => {
  const VALID_IRSA = { path: 'aws/trust.json', partition: 'aws', accountId: ACCOUNT, oidcIssuer: 'oidc.eks.us-east-1.amazonaws.com/id/ABC', audience: 'sts.amazonaws.com', subject: 'system:serviceaccount:prod:orders' };
  const VALID_POD = { path: 'aws/pod-trust.json', clusterArn: `arn:aws:eks:us-east-1:${ACCOUNT}:cluster/prod`, namespace: 'prod', serviceAccount: 'orders' };
  const VALID_ASSOC = { path: 'aws/association.json', clusterName: 'prod', namespace: 'prod', serviceAccount: 'orders', roleArn: `arn:aws:iam::${ACCOUNT}:role/orders` };
  const samples: { [prop: string]: fc.Arbitrary<string> } = {
    partition: fc.oneof(hostile, fc.constantFrom('aws', 'aws-cn', 'aws-us-gov', '*', 'aws:iam::*')),
    accountId: fc.oneof(hostile, fc.constantFrom(ACCOUNT, '*', '12345678901')),
    oidcIssuer: fc.oneof(hostile, fc.constantFrom(VALID_IRSA.oidcIssuer, '*', '${aws:username}')),
    audience: fc.oneof(hostile, fc.constantFrom('sts.amazonaws.com', '*', '${www.amazon.com:app_id}')),
    subject: fc.oneof(hostile, hostile.map(h => `system:serviceaccount:prod:${h}`), fc.constantFrom(VALID_IRSA.subject, 'system:serviceaccount:prod:*', 'system:serviceaccount:*:*')),
    clusterArn: clusterArn,
    clusterName: fc.oneof(hostile, fc.constantFrom('prod', '*')),
    namespace: fc.oneof(hostile, fc.constantFrom('prod', '*', '${aws:PrincipalTag/kubernetes-namespace}')),
    serviceAccount: fc.oneof(hostile, fc.constantFrom('orders', '*', '${aws:PrincipalTag/kubernetes-service-account}')),
    roleArn: roleArn,
  };

  function drive<P extends object>(valid: P, build: (chart: Chart, props: P) => OutputFile, check: (props: P, doc: any) => void): void {
    for (const prop of Object.keys(valid).filter(p => p !== 'path')) {
      const tally = { accepted: 0, rejected: 0 };
      fc.assert(fc.property(samples[prop], value => {
        const chart = new Chart(Testing.app(), 'c');
        const props = { ...valid, [prop]: value };
        let file: OutputFile | undefined;
        const error = rejection(() => { file = build(chart, props); }, new RegExp(`^\\[c/target\\] invalid ${prop} `));
        if (error) { tally.rejected++; return; }
        tally.accepted++;
        check(props, JSON.parse(file!.renderContents()));
      }), { ...RUNS, numRuns: 30 });
      expect({ prop, accepted: tally.accepted > 0, rejected: tally.rejected > 0 }).toEqual({ prop, accepted: true, rejected: true });
    }
  }

  test('IrsaTrustPolicy: every prop is rejected, or the principal and conditions are exact, valid and free of wildcards and policy variables', () => {
    drive(VALID_IRSA, (chart, p) => new IrsaTrustPolicy(chart, 'target', p), (p, doc) => {
      expect(['aws', 'aws-cn', 'aws-us-gov']).toContain(p.partition);
      expect(p.accountId).toMatch(/^\d{12}$/);
      expect(ISSUER(p.oidcIssuer)).toBe(true);
      expect(p.audience.length > 0 && !IAM_SPECIAL.test(p.audience) && !/\s/.test(p.audience)).toBe(true);
      const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(p.subject);
      expect(m !== null && DNS1123.test(m[1]) && SA_NAME.test(m[2])).toBe(true);
      expect(doc.Statement[0].Principal.Federated).toBe(`arn:${p.partition}:iam::${p.accountId}:oidc-provider/${p.oidcIssuer}`);
      expect(doc.Statement[0].Condition).toEqual({ StringEquals: { [`${p.oidcIssuer}:sub`]: p.subject, [`${p.oidcIssuer}:aud`]: p.audience } });
    });
  });

  test('PodIdentityTrustPolicy: every prop is rejected, or the session-tag conditions are exact, valid and free of wildcards and policy variables', () => {
    drive(VALID_POD, (chart, p) => new PodIdentityTrustPolicy(chart, 'target', p), (p, doc) => {
      expect(CLUSTER.test(p.clusterArn) && !IAM_SPECIAL.test(p.clusterArn)).toBe(true);
      expect(DNS1123.test(p.namespace) && SA_NAME.test(p.serviceAccount)).toBe(true);
      expect(doc.Statement[0].Condition.StringEquals).toEqual({
        'aws:RequestTag/eks-cluster-arn': p.clusterArn, 'aws:RequestTag/kubernetes-namespace': p.namespace, 'aws:RequestTag/kubernetes-service-account': p.serviceAccount,
      });
    });
  });

  test('PodIdentityAssociation: every prop is rejected, or the request is exact and what the EKS API accepts', () => {
    drive(VALID_ASSOC, (chart, p) => new PodIdentityAssociation(chart, 'target', p), (p, doc) => {
      expect(/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(p.clusterName)).toBe(true);
      expect(DNS1123.test(p.namespace) && SA_NAME.test(p.serviceAccount) && ROLE.test(p.roleArn)).toBe(true);
      const { path: _path, ...request } = p;
      expect(doc).toEqual({ ...request, disableSessionTags: false });
    });
  });
});

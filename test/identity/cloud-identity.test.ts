import { App, Chart, Testing } from 'cdk8s';
import { CloudGrant, CloudWorkloadIdentity, MeshService, ZeroTrustNamespace } from '../../src';
import { OutputFile } from '../../src/intent/output-file';
import { iamAllows } from '../support/iam';
import { find, synthValid } from '../support/synth';

function setup(): { app: App; chart: Chart; prod: ZeroTrustNamespace } {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  return { app, chart, prod: new ZeroTrustNamespace(chart, 'production') };
}
const ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

describe('CloudWorkloadIdentity', () => {
  test('AWS IRSA: role annotation, no token automount, trust policy for exactly this ServiceAccount', () => {
    const { app, chart, prod } = setup();
    new MeshService(chart, 'orders', {
      namespace: prod,
      image: 'ghcr.io/acme/orders:1',
      port: 8080,
      serviceAccountName: 'orders-sa',
      cloudIdentity: CloudWorkloadIdentity.awsIrsa({ roleArn: 'arn:aws:iam::123456789012:role/apps/orders', oidcIssuer: ISSUER }),
    });
    const manifests = synthValid(chart);
    const sa = find(manifests, 'ServiceAccount', 'orders-sa', 'production');
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/apps/orders' });
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(find(manifests, 'Deployment', 'orders').spec.template.spec.automountServiceAccountToken).toBe(false);
    const files = OutputFile.of(app);
    expect(files.map(f => f.relativePath)).toEqual(['aws/iam/production-orders-sa.trust-policy.json']);
    const policy = JSON.parse(files[0].renderContents());
    expect(policy).toMatchSnapshot();
    expect(policy.Statement).toEqual([{
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${ISSUER}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${ISSUER}:sub`]: 'system:serviceaccount:production:orders-sa', [`${ISSUER}:aud`]: 'sts.amazonaws.com' } },
    }]);
    expect(files[0].renderContents()).not.toMatch(/\*|StringLike/);
  });

  test('GKE Workload Identity: ServiceAccount annotation only', () => {
    const { chart, prod } = setup();
    new MeshService(chart, 'orders', {
      namespace: prod,
      image: 'ghcr.io/acme/orders:1',
      port: 8080,
      cloudIdentity: CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: 'orders@acme-prod.iam.gserviceaccount.com' }),
    });
    const manifests = synthValid(chart);
    expect(find(manifests, 'ServiceAccount', 'orders').metadata.annotations).toEqual({ 'iam.gke.io/gcp-service-account': 'orders@acme-prod.iam.gserviceaccount.com' });
  });

  test('GKE Workload Identity: the trust binding lets exactly this ServiceAccount impersonate the Google service account', () => {
    const { app, chart, prod } = setup();
    new MeshService(chart, 'orders', {
      namespace: prod,
      image: 'ghcr.io/acme/orders:1',
      port: 8080,
      serviceAccountName: 'orders-sa',
      cloudIdentity: CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: 'orders@acme-prod.iam.gserviceaccount.com', workloadPool: 'acme-clusters.svc.id.goog' }),
    });
    const files = OutputFile.of(app);
    expect(files.map(f => f.relativePath)).toEqual(['gcp/iam/production-orders-sa.trust-binding.json']);
    expect(JSON.parse(files[0].renderContents())).toEqual({
      resource: '//iam.googleapis.com/projects/acme-prod/serviceAccounts/orders@acme-prod.iam.gserviceaccount.com',
      role: 'roles/iam.workloadIdentityUser',
      member: 'serviceAccount:acme-clusters.svc.id.goog[production/orders-sa]',
    });
  });

  test('Azure Workload ID with the issuer: the federated credential names exactly this ServiceAccount', () => {
    const { app, chart, prod } = setup();
    new MeshService(chart, 'orders', {
      namespace: prod,
      image: 'ghcr.io/acme/orders:1',
      port: 8080,
      cloudIdentity: CloudWorkloadIdentity.azureWorkloadIdentity({ clientId: '11111111-2222-3333-4444-555555555555', oidcIssuerUrl: 'https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/' }),
    });
    const files = OutputFile.of(app);
    expect(files.map(f => f.relativePath)).toEqual(['azure/identity/production-orders.federated-credential.json']);
    expect(JSON.parse(files[0].renderContents())).toEqual({
      name: 'production-orders',
      issuer: 'https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/11111111-1111-1111-1111-111111111111/',
      subject: 'system:serviceaccount:production:orders',
      audiences: ['api://AzureADTokenExchange'],
    });
  });

  test('Azure Workload ID: client and tenant annotations plus the pod label the webhook requires', () => {
    const { chart, prod } = setup();
    new MeshService(chart, 'orders', {
      namespace: prod,
      image: 'ghcr.io/acme/orders:1',
      port: 8080,
      cloudIdentity: CloudWorkloadIdentity.azureWorkloadIdentity({ clientId: '11111111-2222-3333-4444-555555555555', tenantId: '66666666-7777-8888-9999-000000000000' }),
    });
    const manifests = synthValid(chart);
    expect(find(manifests, 'ServiceAccount', 'orders').metadata.annotations).toEqual({
      'azure.workload.identity/client-id': '11111111-2222-3333-4444-555555555555',
      'azure.workload.identity/tenant-id': '66666666-7777-8888-9999-000000000000',
    });
    const deployment = find(manifests, 'Deployment', 'orders');
    expect(deployment.spec.template.metadata.labels).toEqual(expect.objectContaining({ 'app.kubernetes.io/name': 'orders', 'azure.workload.identity/use': 'true' }));
    expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'orders' });
  });

  describe('bad input', () => {
    test.each([
      'arn:aws:iam::12345:role/orders',
      'arn:aws:iam::123456789012:user/orders',
      'arn:aws:iam::123456789012:role/*',
      'orders',
    ])('fails on the malformed role ARN %s', arn => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'orders', {
        namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080, cloudIdentity: CloudWorkloadIdentity.awsIrsa({ roleArn: arn, oidcIssuer: ISSUER }),
      })).toThrow(new RegExp(`^\\[c/orders\\] invalid cloudIdentity.roleArn ${JSON.stringify(arn).replace(/[*/]/g, '\\$&')}: must be an IAM role ARN`));
    });
    test('fails on an issuer URL with a scheme', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'orders', {
        namespace: prod,
        image: 'ghcr.io/acme/orders:1',
        port: 8080,
        cloudIdentity: CloudWorkloadIdentity.awsIrsa({ roleArn: 'arn:aws:iam::123456789012:role/orders', oidcIssuer: `https://${ISSUER}` }),
      })).toThrow(/^\[c\/orders\] invalid cloudIdentity.oidcIssuer "https:\/\/oidc.eks/);
    });
    test('fails on a malformed Google service account', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'orders', {
        namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080, cloudIdentity: CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: 'orders@gmail.com' }),
      })).toThrow(/^\[c\/orders\] invalid cloudIdentity.serviceAccountEmail "orders@gmail.com": must be a Google service account email/);
    });
    test('fails on a malformed workload pool or issuer URL', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'orders', {
        namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080, cloudIdentity: CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: 'orders@acme-prod.iam.gserviceaccount.com', workloadPool: '*.svc.id.goog' }),
      })).toThrow(/^\[c\/orders\] invalid cloudIdentity.workloadPool "\*.svc.id.goog": must be a GKE workload identity pool/);
      expect(() => new MeshService(chart, 'billing', {
        namespace: prod, image: 'ghcr.io/acme/billing:1', port: 8080, cloudIdentity: CloudWorkloadIdentity.azureWorkloadIdentity({ clientId: '11111111-2222-3333-4444-555555555555', oidcIssuerUrl: 'http://issuer.example.com/?x=1' }),
      })).toThrow(/^\[c\/billing\] invalid cloudIdentity.oidcIssuerUrl "http:\/\/issuer.example.com\/\?x=1": must be the cluster's https:\/\/ OIDC issuer URL/);
    });
    test('fails on a malformed Azure client id', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'orders', {
        namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080, cloudIdentity: CloudWorkloadIdentity.azureWorkloadIdentity({ clientId: 'orders' }),
      })).toThrow(/^\[c\/orders\] invalid cloudIdentity.clientId "orders": must be a GUID/);
    });
  });
});

const CLUSTER_ARN = 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-a';
const ROLE = 'arn:aws:iam::123456789012:role/workloads/reports';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:reports/db-AbCdEf';

function podIdentityApp(grants: CloudGrant[] = [CloudGrant.awsS3Read({ bucket: 'acme-reports', prefix: 'daily/' })]) {
  const { app, chart, prod } = setup();
  const identity = CloudWorkloadIdentity.eksPodIdentity({ roleArn: ROLE, clusterArn: CLUSTER_ARN, grants });
  const service = new MeshService(chart, 'reports', { namespace: prod, image: 'ghcr.io/acme/reports:1', port: 8080, cloudIdentity: identity });
  const file = (suffix: string) => {
    const found = OutputFile.of(app).find(f => f.relativePath.endsWith(suffix));
    if (!found) throw new Error(`no output file ending with ${suffix}`);
    return JSON.parse(found.renderContents());
  };
  return { app, chart, service, identity, file };
}

function tags(namespace: string, serviceAccount: string, clusterArn = CLUSTER_ARN) {
  return {
    'aws:RequestTag/eks-cluster-arn': clusterArn,
    'aws:RequestTag/eks-cluster-name': clusterArn.split('/').pop()!,
    'aws:RequestTag/kubernetes-namespace': namespace,
    'aws:RequestTag/kubernetes-service-account': serviceAccount,
  };
}

describe('CloudWorkloadIdentity.eksPodIdentity', () => {
  test('writes the association, the trust policy and the permissions policy; no ServiceAccount annotation', () => {
    // GIVEN / WHEN
    const { app, chart, file } = podIdentityApp();
    // THEN
    const manifests = synthValid(chart);
    expect(OutputFile.of(app).map(f => f.relativePath)).toEqual([
      'aws/eks/production-reports.pod-identity-association.json',
      'aws/iam/production-reports.permissions-policy.json',
      'aws/iam/production-reports.trust-policy.json',
    ]);
    expect(find(manifests, 'ServiceAccount', 'reports').metadata.annotations).toBeUndefined();
    expect(find(manifests, 'ServiceAccount', 'reports').automountServiceAccountToken).toBe(false);
    expect(file('pod-identity-association.json')).toEqual({
      clusterName: 'prod-a', namespace: 'production', serviceAccount: 'reports', roleArn: ROLE, disableSessionTags: false,
    });
    expect(file('trust-policy.json')).toMatchSnapshot();
  });

  test('the trust policy lets the Pod Identity agent assume the role for exactly this cluster, namespace and ServiceAccount', () => {
    const { file } = podIdentityApp();
    const trust = file('trust-policy.json');
    const pods = { Service: 'pods.eks.amazonaws.com' };
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0].Action).toEqual(['sts:AssumeRole', 'sts:TagSession']);
    expect(trust.Statement[0].Condition).toEqual({
      StringEquals: {
        'aws:RequestTag/eks-cluster-arn': CLUSTER_ARN,
        'aws:RequestTag/kubernetes-namespace': 'production',
        'aws:RequestTag/kubernetes-service-account': 'reports',
      },
    });
    for (const action of ['sts:AssumeRole', 'sts:TagSession']) {
      expect(iamAllows(trust, { action, principal: pods, context: tags('production', 'reports') })).toBe(true);
    }
    // another ServiceAccount, namespace or cluster of the same account; session tags disabled; another principal
    expect(iamAllows(trust, { action: 'sts:AssumeRole', principal: pods, context: tags('production', 'orders') })).toBe(false);
    expect(iamAllows(trust, { action: 'sts:AssumeRole', principal: pods, context: tags('staging', 'reports') })).toBe(false);
    expect(iamAllows(trust, { action: 'sts:AssumeRole', principal: pods, context: tags('production', 'reports', 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-b') })).toBe(false);
    expect(iamAllows(trust, { action: 'sts:AssumeRole', principal: pods, context: {} })).toBe(false);
    expect(iamAllows(trust, { action: 'sts:AssumeRole', principal: { Service: 'ec2.amazonaws.com' }, context: tags('production', 'reports') })).toBe(false);
    expect(iamAllows(trust, { action: 'sts:AssumeRoleWithWebIdentity', principal: pods, context: tags('production', 'reports') })).toBe(false);
    expect(JSON.stringify(trust)).not.toMatch(/\*|StringLike/);
  });

  test('the pods reach the Pod Identity agent through exactly one egress rule, outside the sidecar', () => {
    const { chart } = podIdentityApp();
    const manifests = synthValid(chart);
    expect(find(manifests, 'NetworkPolicy', 'reports-eks-pod-identity').spec).toEqual({
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'reports' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '169.254.170.23/32' } }, { ipBlock: { cidr: 'fd00:ec2::23/128' } }], ports: [{ protocol: 'TCP', port: 80 }] }],
    });
    expect(find(manifests, 'Deployment', 'reports').spec.template.metadata.annotations)
      .toEqual(expect.objectContaining({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '169.254.170.23/32,fd00:ec2::23/128' }));
  });

  test('grants become exactly those actions on exactly those resources', () => {
    // GIVEN
    const { identity, file } = podIdentityApp();
    // WHEN (after binding, and twice: idempotent)
    identity.grant(CloudGrant.awsKmsDecrypt({ keyArn: KEY_ARN }));
    const secret = CloudGrant.awsSecretRead({ secretArn: SECRET_ARN });
    expect(identity.grant(secret)).toBe(secret);
    identity.grant(secret);
    // THEN
    const policy = file('permissions-policy.json');
    expect(policy).toMatchSnapshot();
    expect(policy.Statement).toEqual([
      { Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [KEY_ARN] },
      { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::acme-reports/daily/*'] },
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: ['arn:aws:s3:::acme-reports'], Condition: { StringLike: { 's3:prefix': ['daily/*'] } } },
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [SECRET_ARN] },
    ]);
    const allows = (action: string, resource: string, context?: { [k: string]: string }) => iamAllows(policy, { action, resource, context });
    expect(allows('s3:GetObject', 'arn:aws:s3:::acme-reports/daily/2026-12-01.csv')).toBe(true);
    expect(allows('s3:GetObject', 'arn:aws:s3:::acme-reports/daily-private/x.csv')).toBe(false);
    expect(allows('s3:GetObject', 'arn:aws:s3:::acme-reports/monthly/x.csv')).toBe(false);
    expect(allows('s3:GetObject', 'arn:aws:s3:::acme-reports-2/daily/x.csv')).toBe(false);
    expect(allows('s3:PutObject', 'arn:aws:s3:::acme-reports/daily/x.csv')).toBe(false);
    expect(allows('s3:DeleteObject', 'arn:aws:s3:::acme-reports/daily/x.csv')).toBe(false);
    expect(allows('s3:ListBucket', 'arn:aws:s3:::acme-reports', { 's3:prefix': 'daily/' })).toBe(true);
    expect(allows('s3:ListBucket', 'arn:aws:s3:::acme-reports', { 's3:prefix': 'monthly/' })).toBe(false);
    expect(allows('s3:ListBucket', 'arn:aws:s3:::acme-reports')).toBe(false);
    expect(allows('kms:Decrypt', KEY_ARN)).toBe(true);
    expect(allows('kms:Encrypt', KEY_ARN)).toBe(false);
    expect(allows('kms:Decrypt', KEY_ARN.replace('1234abcd', 'ffffffff'))).toBe(false);
    expect(allows('secretsmanager:GetSecretValue', SECRET_ARN)).toBe(true);
    expect(allows('secretsmanager:PutSecretValue', SECRET_ARN)).toBe(false);
    expect(allows('iam:PassRole', ROLE)).toBe(false);
    for (const statement of policy.Statement) {
      expect(statement.Resource).not.toContain('*');
      expect(statement.Action.every((a: string) => !a.includes('*'))).toBe(true);
    }
  });

  test('list: false leaves out s3:ListBucket', () => {
    const { file } = podIdentityApp([CloudGrant.awsS3Read({ bucket: 'acme-reports', prefix: 'daily/', list: false })]);
    expect(file('permissions-policy.json').Statement).toEqual([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::acme-reports/daily/*'] }]);
  });

  test('IRSA takes grants too', () => {
    const { app, chart, prod } = setup();
    new MeshService(chart, 'orders', {
      namespace: prod,
      image: 'ghcr.io/acme/orders:1',
      port: 8080,
      cloudIdentity: CloudWorkloadIdentity.awsIrsa({ roleArn: 'arn:aws-cn:iam::123456789012:role/orders', oidcIssuer: ISSUER, grants: [CloudGrant.awsS3Read({ bucket: 'acme-orders', prefix: 'in/' })] }),
    });
    const policy = JSON.parse(OutputFile.of(app).find(f => f.relativePath === 'aws/iam/production-orders.permissions-policy.json')!.renderContents());
    expect(policy.Statement[0]).toEqual({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws-cn:s3:::acme-orders/in/*'] });
  });

  describe('bad input', () => {
    const make = (options: any) => {
      const { chart, prod } = setup();
      return () => new MeshService(chart, 'reports', { namespace: prod, image: 'ghcr.io/acme/reports:1', port: 8080, cloudIdentity: CloudWorkloadIdentity.eksPodIdentity(options) });
    };
    test.each([
      'arn:aws:eks:eu-west-1:123456789012:cluster/*',
      'arn:aws:eks:eu-west-1:12345:cluster/prod',
      'arn:aws:eks:eu-west-1:123456789012:nodegroup/prod',
      'prod-a',
    ])('throws when the cluster ARN is %s', clusterArn => {
      expect(make({ roleArn: ROLE, clusterArn })).toThrow(/^\[c\/reports\] invalid cloudIdentity.clusterArn .*: must be an EKS cluster ARN: arn:aws:eks:<region>:<12-digit account>:cluster\/<name/);
    });
    test('throws when the role is in another account than the cluster', () => {
      expect(make({ roleArn: 'arn:aws:iam::210987654321:role/reports', clusterArn: CLUSTER_ARN }))
        .toThrow(/^\[c\/reports\] invalid cloudIdentity.roleArn "arn:aws:iam::210987654321:role\/reports": must be in the cluster's partition and account \(aws, 123456789012\)/);
    });
    test('throws when the role ARN has a wildcard', () => {
      expect(make({ roleArn: 'arn:aws:iam::123456789012:role/*', clusterArn: CLUSTER_ARN })).toThrow(/invalid cloudIdentity.roleArn .*: must be an IAM role ARN/);
    });
    test.each([
      [CloudGrant.awsS3Read({ bucket: 'arn:aws:s3:::acme', prefix: 'daily/' }), /invalid cloudIdentity.grants\[0\].bucket "arn:aws:s3:::acme": must be an S3 bucket name/],
      [CloudGrant.awsS3Read({ bucket: '*', prefix: 'daily/' }), /invalid cloudIdentity.grants\[0\].bucket "\*": must be an S3 bucket name/],
      [CloudGrant.awsS3Read({ bucket: 'acme', prefix: '*' }), /invalid cloudIdentity.grants\[0\].prefix "\*": must be an object key prefix/],
      [CloudGrant.awsS3Read({ bucket: 'acme', prefix: 'daily' }), /invalid cloudIdentity.grants\[0\].prefix "daily": .*ending with '\/'/],
      [CloudGrant.awsS3Read({ bucket: 'acme', prefix: 'daily/${aws:username}/' }), /invalid cloudIdentity.grants\[0\].prefix/],
      [CloudGrant.awsS3Read({ bucket: 'acme', prefix: '../' }), /invalid cloudIdentity.grants\[0\].prefix/],
      [CloudGrant.awsKmsDecrypt({ keyArn: 'arn:aws:kms:eu-west-1:123456789012:key/*' }), /invalid cloudIdentity.grants\[0\].keyArn .*: must be a KMS key ARN/],
      [CloudGrant.awsKmsDecrypt({ keyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/reports' }), /invalid cloudIdentity.grants\[0\].keyArn .*not an alias/],
      [CloudGrant.awsKmsDecrypt({ keyArn: KEY_ARN.replace('arn:aws:', 'arn:aws-cn:') }), /invalid cloudIdentity.grants\[0\].keyArn .*: is in partition aws-cn, but the workload's role is in aws/],
      [CloudGrant.awsSecretRead({ secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:reports/db-??????' }), /invalid cloudIdentity.grants\[0\].secretArn .*: must be a complete Secrets Manager secret ARN/],
      [CloudGrant.awsSecretRead({ secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:*' }), /invalid cloudIdentity.grants\[0\].secretArn/],
      [CloudGrant.gcpSecretRead({ secretName: 'projects/acme-prod/secrets/db' }), /invalid cloudIdentity.grants\[0\] "CloudGrant.gcpSecretRead": is a permission for gcp, but this workload's cloud identity is for aws/],
    ])('throws on the bad grant %#', (grant, message) => {
      expect(make({ roleArn: ROLE, clusterArn: CLUSTER_ARN, grants: [grant] })).toThrow(message);
    });
    test('throws when a grant added after binding is bad, naming the workload', () => {
      const { identity } = podIdentityApp();
      expect(() => identity.grant(CloudGrant.awsS3Read({ bucket: 'acme', prefix: '/' }))).toThrow(/^\[c\/reports\] invalid cloudIdentity.grants\[1\].prefix "\/"/);
    });
    test('throws when one identity is given to two workloads', () => {
      const { chart, prod } = setup();
      const identity = CloudWorkloadIdentity.eksPodIdentity({ roleArn: ROLE, clusterArn: CLUSTER_ARN });
      new MeshService(chart, 'a', { namespace: prod, image: 'ghcr.io/acme/a:1', port: 8080, cloudIdentity: identity });
      expect(() => new MeshService(chart, 'b', { namespace: prod, image: 'ghcr.io/acme/b:1', port: 8080, cloudIdentity: identity }))
        .toThrow(/^\[c\/b\] invalid cloudIdentity "eksPodIdentity": already belongs to c\/a; create one CloudWorkloadIdentity per workload/);
    });
  });
});

import { App, Chart, Testing } from 'cdk8s';
import { CloudWorkloadIdentity, MeshService, ZeroTrustNamespace } from '../../src';
import { OutputFile } from '../../src/intent/output-file';
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
    test('fails on a malformed Azure client id', () => {
      const { chart, prod } = setup();
      expect(() => new MeshService(chart, 'orders', {
        namespace: prod, image: 'ghcr.io/acme/orders:1', port: 8080, cloudIdentity: CloudWorkloadIdentity.azureWorkloadIdentity({ clientId: 'orders' }),
      })).toThrow(/^\[c\/orders\] invalid cloudIdentity.clientId "orders": must be a GUID/);
    });
  });
});

import { celEnv, parse, plan } from '@bufbuild/cel';
import { App, Chart, Testing } from 'cdk8s';
import { CloudGrant, CloudWorkloadIdentity, MeshService, OutputFile, ZeroTrustNamespace } from '../../src';

const GSA = 'reports@acme-prod.iam.gserviceaccount.com';
const CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const SUB = '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/rg-prod';
const CONTAINER = `${SUB}/providers/Microsoft.Storage/storageAccounts/acmereports/blobServices/default/containers/reports`;
const VAULT = `${SUB}/providers/Microsoft.KeyVault/vaults/acme-prod-kv`;

function withIdentity(identity: CloudWorkloadIdentity): { app: App; files: () => { [path: string]: any } } {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  const prod = new ZeroTrustNamespace(chart, 'production');
  new MeshService(chart, 'reports', { namespace: prod, image: 'ghcr.io/acme/reports:1', port: 8080, cloudIdentity: identity });
  return { app, files: () => Object.fromEntries(OutputFile.of(app).map(f => [f.relativePath, JSON.parse(f.renderContents())])) };
}

/** Google IAM condition: a CEL expression over `resource.name`, evaluated with cel-es. */
function gcpConditionAllows(expression: string, resourceName: string): boolean {
  return plan(celEnv(), parse(expression))({ resource: new Map([['name', resourceName]]) } as any) === true;
}

describe('CloudGrant', () => {
  test('GCP: one role binding per resource, the Cloud Storage read restricted to the prefix by an IAM condition', () => {
    // GIVEN
    const identity = CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: GSA });
    const { files } = withIdentity(identity);
    // WHEN
    identity.grant(CloudGrant.gcpStorageRead({ bucket: 'acme-reports', prefix: 'daily/' }));
    identity.grant(CloudGrant.gcpKmsDecrypt({ keyName: 'projects/acme-prod/locations/europe-west1/keyRings/apps/cryptoKeys/reports' }));
    identity.grant(CloudGrant.gcpSecretRead({ secretName: 'projects/acme-prod/secrets/reports-db' }));
    // THEN
    const document = files()['gcp/iam/production-reports.bindings.json'];
    expect(document).toMatchSnapshot();
    expect(document).toEqual({
      member: `serviceAccount:${GSA}`,
      bindings: [
        { resource: '//cloudkms.googleapis.com/projects/acme-prod/locations/europe-west1/keyRings/apps/cryptoKeys/reports', role: 'roles/cloudkms.cryptoKeyDecrypter' },
        { resource: '//secretmanager.googleapis.com/projects/acme-prod/secrets/reports-db', role: 'roles/secretmanager.secretAccessor' },
        {
          resource: '//storage.googleapis.com/projects/_/buckets/acme-reports',
          role: 'roles/storage.objectViewer',
          condition: { title: 'read daily/', expression: 'resource.name.startsWith("projects/_/buckets/acme-reports/objects/daily/")' },
        },
      ],
    });
    const condition = document.bindings[2].condition.expression;
    expect(gcpConditionAllows(condition, 'projects/_/buckets/acme-reports/objects/daily/2026-12-01.csv')).toBe(true);
    expect(gcpConditionAllows(condition, 'projects/_/buckets/acme-reports/objects/daily-private/x')).toBe(false);
    expect(gcpConditionAllows(condition, 'projects/_/buckets/acme-reports/objects/monthly/x')).toBe(false);
    expect(gcpConditionAllows(condition, 'projects/_/buckets/acme-reports')).toBe(false);
    expect(JSON.stringify(document)).not.toMatch(/\*|roles\/(owner|editor|storage\.admin|cloudkms\.admin|secretmanager\.admin)/);
  });

  test('Azure: role assignments at the narrowest scope, the blob read bound to the prefix by an ABAC condition', () => {
    const { files } = withIdentity(CloudWorkloadIdentity.azureWorkloadIdentity({
      clientId: CLIENT_ID,
      grants: [
        CloudGrant.azureBlobRead({ containerId: CONTAINER, prefix: 'daily/' }),
        CloudGrant.azureKeyVaultSecretRead({ vaultId: VAULT, secretName: 'reports-db' }),
        CloudGrant.azureKeyVaultKeyUse({ vaultId: VAULT, keyName: 'reports' }),
      ],
    }));
    const document = files()['azure/rbac/production-reports.role-assignments.json'];
    expect(document).toMatchSnapshot();
    expect(document.assignee).toBe(CLIENT_ID);
    expect(document.assignments.map((a: any) => [a.scope, a.roleName, a.roleDefinitionId])).toEqual([
      [CONTAINER, 'Storage Blob Data Reader', '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'],
      [`${VAULT}/keys/reports`, 'Key Vault Crypto User', '12338af0-0e69-4776-bea7-57ae8d297424'],
      [`${VAULT}/secrets/reports-db`, 'Key Vault Secrets User', '4633458b-17de-408a-b874-0445c86b69e6'],
    ]);
    // the condition format of Microsoft's "read or list blobs with a path" example, with the prefix as the only value
    expect(document.assignments[0].condition).toBe(
      "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND NOT SubOperationMatches{'Blob.List'})) OR "
      + "(@Resource[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:path] StringStartsWith 'daily/')) AND "
      + "((!(ActionMatches{'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'} AND SubOperationMatches{'Blob.List'})) OR "
      + "(@Request[Microsoft.Storage/storageAccounts/blobServices/containers/blobs:prefix] StringStartsWith 'daily/'))");
    expect(document.assignments[0].conditionVersion).toBe('2.0');
    expect(document.assignments.slice(1).every((a: any) => a.condition === undefined)).toBe(true);
  });

  test('the same resource granted twice is one grant', () => {
    const identity = CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: GSA });
    const { files } = withIdentity(identity);
    identity.grant(CloudGrant.gcpSecretRead({ secretName: 'projects/acme-prod/secrets/reports-db' }));
    identity.grant(CloudGrant.gcpSecretRead({ secretName: 'projects/acme-prod/secrets/reports-db' }));
    expect(files()['gcp/iam/production-reports.bindings.json'].bindings).toHaveLength(1);
  });

  test('no grant, no permission file (the trust binding only)', () => {
    const { app } = withIdentity(CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: GSA }));
    expect(OutputFile.of(app).map(f => f.relativePath)).toEqual(['gcp/iam/production-reports.trust-binding.json']);
  });

  describe('bad input', () => {
    test.each([
      [CloudGrant.gcpStorageRead({ bucket: 'acme.reports', prefix: 'daily/' }), /invalid cloudIdentity.grants\[0\].bucket "acme.reports": must be a Cloud Storage bucket name/],
      [CloudGrant.gcpStorageRead({ bucket: 'acme-reports', prefix: 'daily/")||true||("/' }), /invalid cloudIdentity.grants\[0\].prefix/],
      [CloudGrant.gcpKmsDecrypt({ keyName: 'projects/acme-prod/locations/europe-west1/keyRings/apps/cryptoKeys/*' }), /invalid cloudIdentity.grants\[0\].keyName .*: must be a Cloud KMS key name/],
      [CloudGrant.gcpSecretRead({ secretName: 'projects/*/secrets/db' }), /invalid cloudIdentity.grants\[0\].secretName .*: must be a Secret Manager secret name/],
      [CloudGrant.awsS3Read({ bucket: 'acme', prefix: 'daily/' }), /is a permission for aws, but this workload's cloud identity is for gcp/],
    ])('GCP: throws on the bad grant %#', (grant, message) => {
      expect(() => withIdentity(CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: GSA, grants: [grant] }))).toThrow(message);
    });
    test.each([
      [CloudGrant.azureBlobRead({ containerId: `${SUB}/providers/Microsoft.Storage/storageAccounts/acmereports`, prefix: 'daily/' }), /invalid cloudIdentity.grants\[0\].containerId .*: must be a Blob Storage container resource id/],
      [CloudGrant.azureBlobRead({ containerId: CONTAINER, prefix: "daily/' OR 'a/" }), /invalid cloudIdentity.grants\[0\].prefix/],
      [CloudGrant.azureKeyVaultSecretRead({ vaultId: '/subscriptions/*', secretName: 'db' }), /invalid cloudIdentity.grants\[0\].vaultId "\/subscriptions\/\*": must be a Key Vault resource id/],
      [CloudGrant.azureKeyVaultKeyUse({ vaultId: VAULT, keyName: 'keys/*' }), /invalid cloudIdentity.grants\[0\].keyName "keys\/\*": must be a Key Vault key name/],
    ])('Azure: throws on the bad grant %#', (grant, message) => {
      expect(() => withIdentity(CloudWorkloadIdentity.azureWorkloadIdentity({ clientId: CLIENT_ID, grants: [grant] }))).toThrow(message);
    });
    test('throws when a grant is not made by a factory', () => {
      expect(() => withIdentity(CloudWorkloadIdentity.gkeWorkloadIdentity({ serviceAccountEmail: GSA, grants: [{ provider: 'gcp' } as any] })))
        .toThrow(/^\[c\/reports\] invalid cloudIdentity.grants\[0\] \{"provider":"gcp"\}: must be created with a CloudGrant factory/);
    });
  });
});

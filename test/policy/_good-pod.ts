// No imports: test/policy/checks.test.ts uses it without loading cdk8s or the library.

/** A pod that meets every policy of the pack. */
export function goodPod(): any {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'good', namespace: 'apps', labels: { 'app.kubernetes.io/name': 'good' } },
    spec: {
      serviceAccountName: 'good',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'app',
        image: 'ghcr.io/acme/app:1.2.3',
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 10001, capabilities: { drop: ['ALL'] } },
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
      }],
    },
  };
}

/**
 * The pack's own samples: a hardened pod and, for every check, objects it must reject, each with
 * the exact set of checks that reject it. The generated test suites (`_policy-test-suites.ts`)
 * hand them to the real engines; the library's tests evaluate them with every engine's CEL.
 */

/** A sample object and the checks (ids) that reject it (none: every check admits it). */
export interface PackSample {
  readonly name: string;
  readonly object: any;
  readonly rejectedBy: string[];
}

/** The namespace the samples live in: policed by every check, enforcing Pod Security restricted. */
export const SAMPLE_NAMESPACE = 'zero-trust-samples';

/** The samples of a pack whose first allowed registry is `registry` (ending with `/`). */
export function packSamples(registry: string): PackSample[] {
  const good = (): any => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'hardened', namespace: SAMPLE_NAMESPACE, labels: { 'app.kubernetes.io/name': 'hardened' } },
    spec: {
      serviceAccountName: 'hardened',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'app',
        image: `${registry}sample:1.0.0`,
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsUser: 10001, capabilities: { drop: ['ALL'] } },
        resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
      }],
    },
  });
  const pod = (name: string, rejectedBy: string[], mutate: (p: any, c: any) => void): PackSample => {
    const p = good();
    p.metadata.name = name;
    p.metadata.labels['app.kubernetes.io/name'] = name;
    mutate(p, p.spec.containers[0]);
    return { name, object: p, rejectedBy: [...rejectedBy].sort() };
  };
  const peerAuthentication = (name: string, spec: any, rejectedBy: string[]): PackSample => ({
    name, rejectedBy, object: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace: SAMPLE_NAMESPACE }, spec },
  });
  const namespace = (name: string, labels: Record<string, string>, rejectedBy: string[]): PackSample => ({
    name, rejectedBy, object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } },
  });
  return [
    { name: 'hardened', object: good(), rejectedBy: [] },
    pod('pinned-by-digest', [], (_p, c) => { c.image = `${registry}sample@sha256:${'a'.repeat(64)}`; }),
    pod('net-bind-service', [], (_p, c) => { c.securityContext.capabilities.add = ['NET_BIND_SERVICE']; }),
    pod('privileged', ['privileged-containers', 'privilege-escalation'], (_p, c) => { c.securityContext.privileged = true; delete c.securityContext.allowPrivilegeEscalation; }),
    pod('privilege-escalation', ['privilege-escalation'], (_p, c) => { c.securityContext.allowPrivilegeEscalation = true; }),
    pod('root-user', ['run-as-non-root'], (_p, c) => { c.securityContext.runAsUser = 0; }),
    pod('no-limits', ['required-resources'], (_p, c) => { delete c.resources.limits; }),
    pod('foreign-registry', ['allowed-registries'], (_p, c) => { c.image = 'docker.io/library/nginx:1.27.0'; }),
    pod('latest-tag', ['disallowed-tags'], (_p, c) => { c.image = `${registry}sample:latest`; }),
    pod('malformed-tag', ['disallowed-tags'], (_p, c) => { c.image = `${registry}sample:1.0:x`; }),
    pod('host-pid', ['host-pid-ipc'], p => { p.spec.hostPID = true; }),
    pod('host-network', ['host-network'], p => { p.spec.hostNetwork = true; }),
    pod('host-port', ['host-network'], (_p, c) => { c.ports = [{ containerPort: 8080, hostPort: 8080 }]; }),
    pod('host-path', ['host-filesystem'], p => { p.spec.volumes = [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }]; }),
    pod('writable-root', ['read-only-root-filesystem'], (_p, c) => { c.securityContext.readOnlyRootFilesystem = false; }),
    pod('added-capability', ['capabilities'], (_p, c) => { c.securityContext.capabilities.add = ['NET_ADMIN']; }),
    pod('seccomp-unconfined', ['seccomp-profile'], p => { p.spec.securityContext.seccompProfile = { type: 'Unconfined' }; }),
    pod('default-service-account', ['dedicated-service-account'], p => { p.spec.serviceAccountName = 'default'; }),
    pod('token-automount', ['service-account-token'], p => { p.spec.automountServiceAccountToken = true; }),
    peerAuthentication('strict', { mtls: { mode: 'STRICT' } }, []),
    peerAuthentication('permissive', { mtls: { mode: 'PERMISSIVE' } }, ['strict-mtls']),
    namespace(SAMPLE_NAMESPACE, { 'pod-security.kubernetes.io/enforce': 'restricted' }, []),
    namespace('unlabelled', {}, ['pod-security-labels']),
  ];
}

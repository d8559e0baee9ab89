/**
 * The hardening of an adopted workload's pod spec (`AdoptedWorkloadProps.harden`): where the
 * spec is silent, `runAsNonRoot`, the RuntimeDefault seccomp profile and no ServiceAccount
 * token for the pod; `allowPrivilegeEscalation: false`, `readOnlyRootFilesystem: true`,
 * `privileged: false` and `drop: [ALL]` for every container. A value the spec sets explicitly to
 * the contrary is never overridden: it is reported.
 *
 * @param spec a rendered pod spec
 * @param apply whether to fill in what the spec is silent about (it changes `spec`), or only report
 * @returns the explicit values to the contrary, as errors
 */
export function hardenPodSpec(spec: any, apply: boolean): string[] {
  const errors: string[] = [];
  const set = (parent: any, key: string, value: unknown, contrary: (v: any) => boolean, what: string) => {
    if (parent[key] === undefined) {
      if (apply) parent[key] = JSON.parse(JSON.stringify(value));
    } else if (contrary(parent[key])) {
      errors.push(`invalid harden true: ${what} sets ${key} to ${JSON.stringify(parent[key])} explicitly; the library does not override a declared privilege: change it in the workload, or drop harden`);
    }
  };
  const pod = spec.securityContext ?? {};
  if (apply) spec.securityContext = pod;
  set(pod, 'runAsNonRoot', true, v => v !== true, 'the pod');
  set(pod, 'seccompProfile', { type: 'RuntimeDefault' }, v => v?.type === 'Unconfined', 'the pod');
  set(spec, 'automountServiceAccountToken', false, () => false, 'the pod');
  for (const field of ['initContainers', 'containers']) {
    for (const c of spec[field] ?? []) {
      const sc = c.securityContext ?? {};
      if (apply) c.securityContext = sc;
      const who = `container ${c.name}`;
      set(sc, 'allowPrivilegeEscalation', false, v => v !== false, who);
      set(sc, 'readOnlyRootFilesystem', true, v => v !== true, who);
      set(sc, 'privileged', false, v => v !== false, who);
      set(sc, 'capabilities', { drop: ['ALL'] }, v => !(v.drop ?? []).includes('ALL'), who);
      if (sc.runAsUser === 0) errors.push(`invalid harden true: ${who} sets runAsUser to 0 (root) explicitly; run as a non-root user, or drop harden`);
    }
  }
  return errors;
}

import { podSpecOf } from './_pods';
import { PostureRule, ruleId } from './_rule';

/** No hostPath volume. @internal */
export const rule: PostureRule = {
  id: ruleId(__filename),
  severity: 'error',
  explanation: 'a hostPath volume reaches the kubelet\'s credentials, other pods\' secrets and the container runtime socket',
  fix: 'use emptyDir, a ConfigMap, a Secret or a CSI volume; for a node agent that needs host paths, suppress with the reason',
  check(obj) {
    const pod = podSpecOf(obj);
    if (!pod) return undefined;
    const volumes: any[] = Array.isArray(pod.spec.volumes) ? pod.spec.volumes : [];
    return volumes.map((v, i) => ({ v, i })).filter(({ v }) => v?.hostPath !== undefined)
      .map(({ v, i }) => ({ pointer: `${pod.pointer}/volumes/${i}/hostPath`, message: `volume ${v.name} mounts host path ${JSON.stringify(v.hostPath?.path)}` }));
  },
};

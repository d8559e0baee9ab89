/** Shared by the ZeroTrustPolicyPack tests: a pack per engine, admission reviews, a pod that meets every check. */
import { Chart, Testing } from 'cdk8s';
import { goodPod } from './_good-pod';
import { PolicyEngine, ZeroTrustPolicyPack, ZeroTrustPolicyPackProps } from '../../src';
import { gatekeeperReview, kubernetesReview, kyvernoReview, Review } from '../support/policy-engine';
import { ofKind, synthValid } from '../support/synth';

export { goodPod };

export const ENGINES = [PolicyEngine.GATEKEEPER, PolicyEngine.KYVERNO, PolicyEngine.KUBERNETES];

export function pack(engine: PolicyEngine, props: Partial<ZeroTrustPolicyPackProps> = {},
  configure?: (chart: Chart, p: ZeroTrustPolicyPack) => void) {
  const app = Testing.app();
  const chart = new Chart(app, 'c');
  const p = new ZeroTrustPolicyPack(chart, 'pack', { engine, allowedRegistries: ['ghcr.io/acme/'], ...props });
  configure?.(chart, p);
  return { objs: synthValid(chart), pack: p, chart };
}

export function review(engine: PolicyEngine, objs: any[], obj: any, operation = 'CREATE'): Review {
  const reviewer = {
    [PolicyEngine.GATEKEEPER]: gatekeeperReview, [PolicyEngine.KYVERNO]: kyvernoReview, [PolicyEngine.KUBERNETES]: kubernetesReview,
  }[engine];
  return reviewer(objs, obj, { operation });
}

/** The checks (constraint `zero-trust-<id>` / Kyverno rule `<id>`) that reject `obj`. */
export function rejectedBy(engine: PolicyEngine, objs: any[], obj: any, operation = 'CREATE'): string[] {
  const ids = review(engine, objs, obj, operation).violations.map(v => v.policy.split('/')[1].replace(/^zero-trust-/, ''));
  return [...new Set(ids)].sort();
}

/** The check ids of a pack (constraint names without `zero-trust-`, Kyverno and native policy names likewise). */
export function checkIds(engine: PolicyEngine, objs: any[]): string[] {
  const named = engine === PolicyEngine.GATEKEEPER ? objs.filter(o => o.apiVersion === 'constraints.gatekeeper.sh/v1beta1')
    : engine === PolicyEngine.KYVERNO ? ofKind(objs, 'ValidatingPolicy') : ofKind(objs, 'ValidatingAdmissionPolicy');
  return named.map(o => o.metadata.name.replace(/^zero-trust-/, ''));
}

export function pod(mutate: (p: any) => void): any {
  const p = goodPod();
  mutate(p);
  return p;
}

export function peerAuthentication(spec: any): any {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'apps' }, spec };
}

export const container = (p: any) => p.spec.containers[0];

export function namespace(labels: Record<string, string>): any {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps', labels } };
}

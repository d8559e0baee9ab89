import { Construct } from 'constructs';
import { VaultConnection } from './vault-connection';
import { VaultInjectedDeployment } from './vault-injected-deployment';
import { VaultSecret } from './vault-secret';
import { amendPodTemplate, containerOf, isPodWorkload, podTemplateOf } from '../intent/_pod-templates';
import { oncePerSynthesis, trackSynthesis } from '../intent/_synthesis-memo';
import { invalid } from '../intent/_validation';
import { IMeshWorkload, IPodWorkload, WorkloadOrigin } from '../intent/mesh-workload';

const NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;
const MOUNT_PATH = /^\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** A named secret of a delivery alternative. */
export interface NamedSecret {
  readonly name: string;
  readonly secret: VaultSecret;
}

/** Checks the common props of the CSI and External Secrets alternatives. @internal */
export function checkDelivery(scope: Construct, workload: unknown, vault: unknown, secrets: readonly NamedSecret[] | undefined,
  mountPath: string, container: string | undefined): { workload: IPodWorkload; vault: VaultConnection } {
  const w = workload as IMeshWorkload | undefined;
  if (!w || typeof w !== 'object' || !w.zeroTrustNamespace || typeof w.workloadName !== 'string') {
    invalid(scope, 'workload', workload, 'must be a workload of the intent graph: a MeshService, MeshStatefulService or AdoptedWorkload');
  }
  if (w.workloadOrigin === WorkloadOrigin.EXTERNAL) {
    invalid(scope, 'workload', w.node.path, 'is a workload outside this app (its pods are rendered where it is installed), so the app cannot mount volumes into its pods',
      'define its Vault role with VaultKubernetesRole and mount the secrets in its own chart; or, when the app defines the workload object, adopt it with AdoptedWorkload');
  }
  if (!isPodWorkload(w)) {
    invalid(scope, 'workload', w.node.path, 'renders no pod template this app can amend', 'use a MeshService, MeshStatefulService or AdoptedWorkload');
  }
  if (workload instanceof VaultInjectedDeployment) {
    invalid(scope, 'workload', workload.node.path, 'already gets its secrets from the Vault agent injector', 'use one delivery method per workload');
  }
  if (!(vault instanceof VaultConnection)) {
    invalid(scope, 'vault', vault, 'must be a VaultConnection', 'define one with new VaultConnection(scope, \'Vault\', { address })');
  }
  if (!Array.isArray(secrets) || secrets.length === 0) {
    invalid(scope, 'secrets', secrets, 'must list at least one secret');
  }
  const seen = new Set<string>();
  secrets.forEach((s, i) => {
    if (!s || typeof s.name !== 'string' || !NAME.test(s.name) || s.name.length > 40) {
      invalid(scope, `secrets[${i}].name`, s?.name, 'must be at most 40 lower-case letters, digits, \'.\' or \'-\', starting and ending with a letter or digit', 'for example \'db\'');
    }
    if (seen.has(s.name)) {
      invalid(scope, `secrets[${i}].name`, s.name, 'is listed twice: each secret needs its own name', 'rename one of them');
    }
    seen.add(s.name);
    if (!(s.secret instanceof VaultSecret)) {
      invalid(scope, `secrets[${i}].secret`, s.secret, 'must be a VaultSecret, for example VaultSecret.databaseCredentials(\'order-service\')');
    }
    s.secret._validate(scope, `secrets[${i}].secret`);
  });
  if (!MOUNT_PATH.test(mountPath) || mountPath.split('/').some(s => s === '.' || s === '..')) {
    invalid(scope, 'mountPath', mountPath, 'must be an absolute directory path without \'.\' or \'..\' segments', 'for example \'/vault/secrets\'');
  }
  if (container !== undefined && (typeof container !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(container) || container.length > 63)) {
    invalid(scope, 'container', container, 'must be a container name (a DNS-1123 label)', 'leave it out for the pod\'s first container');
  }
  const names = container === undefined ? undefined : containerNames(w);
  if (container !== undefined && names !== undefined && !names.includes(container)) {
    invalid(scope, 'container', container, `${w.node.path} has no container of this name`, `name one of ${JSON.stringify(names)}, or leave container out for the first`);
  }
  return { workload: w, vault };
}

/** A volume a delivery adds to a workload's pods, mounted read-only in one container. */
export interface DeliveredVolume {
  /** The volume (its `name` included). */
  readonly volume: { readonly name: string; readonly [key: string]: unknown };
  /** Where the container mounts it. */
  readonly mountPath: string;
}

/**
 * Adds `volumes` to the pod template of `workload` as it renders, each mounted read-only in
 * `container` (the first container when undefined), and checks at synthesis that the pod
 * template then holds each volume name and mount path once and has the container.
 *
 * @internal
 */
export function deliverVolumes(scope: Construct, workload: IPodWorkload, container: string | undefined, volumes: DeliveredVolume[]): void {
  amendPodTemplate(workload.workloadObject, t => {
    t.spec.volumes = [...(t.spec.volumes ?? []), ...volumes.map(v => JSON.parse(JSON.stringify(v.volume)))];
    const c = containerOf(t.spec, container);
    if (c) c.volumeMounts = [...(c.volumeMounts ?? []), ...volumes.map(v => ({ name: v.volume.name, mountPath: v.mountPath, readOnly: true }))];
  });
  trackSynthesis(scope);
  scope.node.addValidation({
    validate: () => oncePerSynthesis(scope, `deliverVolumes ${scope.node.addr}`, () => {
      const json = workload.workloadObject.toJson();
      const spec = podTemplateOf(json.kind, json)?.spec ?? {};
      const c = containerOf(spec, container);
      if (!c) {
        return [`invalid container ${JSON.stringify(container ?? null)}: ${workload.node.path} has no container ${container === undefined ? '' : `named ${container} `}to mount the secrets in; name one of ${JSON.stringify((spec.containers ?? []).map((x: any) => x?.name))}`];
      }
      const errors: string[] = [];
      for (const v of volumes) {
        if ((spec.volumes ?? []).filter((x: any) => x?.name === v.volume.name).length > 1) {
          errors.push(`invalid volume ${JSON.stringify(v.volume.name)}: the pod of ${workload.node.path} already has a volume of this name (Kubernetes rejects the pod); rename the pod's own volume or deliver the secrets once`);
        }
        if ((c.volumeMounts ?? []).filter((m: any) => m?.mountPath === v.mountPath).length > 1) {
          errors.push(`invalid mountPath ${JSON.stringify(v.mountPath)}: container ${c.name} of ${workload.node.path} already mounts something there; choose another mountPath`);
        }
      }
      return errors;
    }),
  });
}

/** The container names of `workload`'s pod template as it renders now, or undefined when it cannot render yet. */
function containerNames(workload: IPodWorkload): string[] | undefined {
  try {
    const json = workload.workloadObject.toJson();
    const containers = podTemplateOf(json.kind, json)?.spec?.containers;
    return Array.isArray(containers) && containers.length > 0 ? containers.map((c: any) => c?.name) : undefined;
  } catch {
    return undefined;
  }
}

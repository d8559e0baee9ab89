import { Construct, IConstruct } from 'constructs';
import { PlatformComponent } from './platform-component';
import { invalid } from '../intent/_validation';
import { IntentGraph } from '../intent/intent-graph';

/** The components declared in each app, by `<namespace>/<name>`. */
const DECLARED = new WeakMap<object, Map<string, { component: PlatformComponent; owner: IConstruct }>>();

/**
 * Properties of PlatformComponents.
 */
export interface PlatformComponentsProps {
  /**
   * The platform components the cluster runs.
   *
   * @default - none; add them with `add()`
   */
  readonly components?: PlatformComponent[];
}

/**
 * Declares the platform components a cluster runs (Istio parts, the admission engine, the Vault
 * injector, Falco, the Prometheus Operator), each as its pinned chart deploys it, so that the
 * zero-trust layers protect them and let them work:
 *
 * - each container's privileges are declared in the intent graph exactly (one declaration per
 *   container, one per pod for host namespaces and host paths), so the policy pack exempts exactly
 *   that container from exactly those checks, and the Falco rules allow exactly those privileged
 *   containers;
 * - the policy pack admits exactly their images (`<repository>:<tag>`, or the pinned digest);
 * - their namespaces are listed as prerequisites.
 *
 * It synthesizes no Kubernetes object by itself: the components are installed with their charts.
 */
export class PlatformComponents extends Construct {
  /** Every platform component declared in `scope`'s app, sorted by namespace and name. */
  public static of(scope: IConstruct): PlatformComponent[] {
    const declared = DECLARED.get(scope.node.root) ?? new Map();
    return [...declared.keys()].sort().map(k => declared.get(k)!.component);
  }

  /**
   * Declares `component` in `owner`'s app (idempotent for the same description).
   * @internal
   */
  public static _declare(owner: IConstruct, component: PlatformComponent): PlatformComponent {
    const declared = DECLARED.get(owner.node.root) ?? new Map<string, { component: PlatformComponent; owner: IConstruct }>();
    DECLARED.set(owner.node.root, declared);
    const key = `${component.namespace}/${component.name}`;
    const existing = declared.get(key);
    if (existing) {
      if (JSON.stringify(existing.component) !== JSON.stringify(component)) {
        invalid(owner, 'component', key, `${existing.owner.node.path} already declared ${key} with a different description (images, containers or privileges)`,
          'declare each platform component once, with the options it is installed with');
      }
      return existing.component;
    }
    declared.set(key, { component, owner });
    const graph = IntentGraph.of(owner);
    const source = `${component.chart.chart} chart ${component.chart.version}`;
    for (const w of component.workloads) {
      const base = { namespace: w.namespace, kind: w.kind, name: w.name, podLabels: { ...w.podLabels } };
      if ((w.podPrivileges ?? []).length > 0) {
        graph.declarePrivilegedWorkload(owner, {
          ...base,
          privileges: [...w.podPrivileges!],
          ...(w.hostPaths?.length ? { hostPaths: [...w.hostPaths] } : {}),
          reason: `${component.name} (${source}): ${w.reason ?? 'pod-level privileges of the chart'}`,
        });
      }
      for (const c of w.containers) {
        if ((c.privileges ?? []).length === 0) continue;
        graph.declarePrivilegedWorkload(owner, {
          ...base,
          privileges: [...c.privileges!],
          containers: [c.name],
          ...(c.capabilities?.length ? { capabilities: [...c.capabilities] } : {}),
          reason: `${component.name} (${source}), container ${c.name}: ${c.reason ?? 'privileges of the chart'}`,
        });
      }
    }
    return component;
  }

  public constructor(scope: Construct, id: string, props: PlatformComponentsProps = {}) {
    super(scope, id);
    for (const c of props.components ?? []) this.add(c);
  }

  /**
   * Declares a platform component the cluster runs (idempotent for the same description).
   *
   * @returns the component
   */
  public add(component: PlatformComponent): PlatformComponent {
    if (!(component instanceof PlatformComponent)) {
      invalid(this, 'component', component, 'must be a PlatformComponent', 'use the factories, for example PlatformComponent.istiod()');
    }
    return PlatformComponents._declare(this, component);
  }

  /** The components declared in this app. */
  public get components(): PlatformComponent[] {
    return PlatformComponents.of(this);
  }
}

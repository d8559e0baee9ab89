import { ApiObject, Duration, Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { clusterScoped, MANAGED_BY } from './_k8s';
import { matchesSelector } from './_selectors';
import { checkDuration, goDuration } from './_spire-config';
import { ISpireDeployment } from './spire-options';
import * as spire from '../imports/spire';
import { GoTemplateError, parseTemplate } from '../intent/_go-template';
import { guardArgs, guardProps } from '../intent/_guards';
import { checkDns1123Label, checkTrustDomain, invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';

/**
 * The operator of a label selector requirement.
 */
export enum LabelSelectorOperator {
  /** The label's value is one of `values`. */
  IN = 'In',
  /** The label is absent or its value is none of `values`. */
  NOT_IN = 'NotIn',
  /** The label is present. */
  EXISTS = 'Exists',
  /** The label is absent. */
  DOES_NOT_EXIST = 'DoesNotExist',
}

/**
 * One requirement of a label selector.
 */
export interface LabelSelectorRequirement {
  /** The label key. */
  readonly key: string;
  /** The operator. */
  readonly operator: LabelSelectorOperator;
  /**
   * The values, required (non-empty) for `IN` and `NOT_IN`, forbidden otherwise.
   *
   * @default - none
   */
  readonly values?: string[];
}

/**
 * A Kubernetes label selector (all conditions ANDed; empty selects everything).
 */
export interface LabelSelector {
  /**
   * Labels that must all be present with these values.
   *
   * @default - none
   */
  readonly matchLabels?: { [key: string]: string };
  /**
   * Requirements that must all hold.
   *
   * @default - none
   */
  readonly matchExpressions?: LabelSelectorRequirement[];
}

/**
 * Properties of a ClusterSpiffeId.
 */
export interface ClusterSpiffeIdProps {
  /**
   * The SPIRE deployment whose controller manager reconciles this registration. The object's
   * `className` is set to the controller manager's class name, so it cannot be silently
   * ignored (spire-controller-manager skips objects of other classes).
   */
  readonly spire: ISpireDeployment;

  /**
   * The object name (a DNS-1123 label).
   *
   * @default - the construct id
   */
  readonly name?: string;

  /**
   * The SPIFFE ID template (a Go template over `.TrustDomain`, `.ClusterName`, `.PodMeta`,
   * `.PodSpec`, `.NodeMeta`, `.NodeSpec`). It must name the SPIRE trust domain, as
   * `spiffe://{{ .TrustDomain }}/...` or literally.
   *
   * @default 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}' (the ID Istio expects)
   */
  readonly spiffeIdTemplate?: string;

  /**
   * Selects the namespaces whose pods are registered.
   *
   * @default - every namespace the controller manager does not ignore
   */
  readonly namespaceSelector?: LabelSelector;

  /**
   * Selects the pods registered.
   *
   * @default - every pod of the selected namespaces
   */
  readonly podSelector?: LabelSelector;

  /**
   * Upper bound of the X509-SVID lifetime (at least 1 minute, at most the server's CA TTL / 2).
   *
   * @default - the server's default X509-SVID TTL
   */
  readonly ttl?: Duration;

  /**
   * Upper bound of the JWT-SVID lifetime (rendered as the CRD field `jwtTtl`).
   *
   * @default - the server's default JWT-SVID TTL
   */
  readonly jwtTtl?: Duration;

  /**
   * DNS name templates added to the X509-SVID.
   *
   * @default - none
   */
  readonly dnsNameTemplates?: string[];

  /**
   * Trust domains the registered workloads federate with.
   *
   * @default - none
   */
  readonly federatesWith?: string[];

  /**
   * Extra selector templates (`type:value`, for example `k8s:container-name:app`).
   *
   * @default - none
   */
  readonly workloadSelectorTemplates?: string[];

  /**
   * Whether this registration only applies to pods no other registration selects.
   *
   * @default false
   */
  readonly fallback?: boolean;

  /**
   * A hint for workloads to tell several identities apart.
   *
   * @default - none
   */
  readonly hint?: string;
}

/** The ID template Istio requires: spiffe://<trust domain>/ns/<namespace>/sa/<service account>. */
export const ISTIO_SPIFFE_ID_TEMPLATE = 'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}';

/**
 * Defines a ClusterSPIFFEID (spire.spiffe.io/v1alpha1): which pods get which SPIFFE ID from a
 * SpireDeployment's controller manager.
 *
 * Unlike a hand-written object it cannot carry the traps: the JWT TTL is rendered as the CRD
 * field `jwtTtl` (never `jwtTTL`), `className` always equals the controller manager's class,
 * the template must stay in the SPIRE trust domain, and two registrations of one workload of
 * the intent graph are a synth-time error.
 *
 * @example
 * new ClusterSpiffeId(chart, 'gateways', {
 *   spire,
 *   namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } },
 *   podSelector: { matchLabels: { app: 'istio-ingressgateway' } },
 *   jwtTtl: Duration.minutes(5),
 * });
 */
export class ClusterSpiffeId extends Construct {
  /** The object name. */
  public readonly name: string;
  /** The SPIRE deployment that reconciles it. */
  public readonly spire: ISpireDeployment;
  /** The SPIFFE ID template. */
  public readonly spiffeIdTemplate: string;
  /** Whether this is a fallback registration. */
  public readonly fallback: boolean;
  /** The ClusterSPIFFEID object. Escape hatch for JSON patches. */
  public readonly resource: ApiObject;

  private readonly props: ClusterSpiffeIdProps;
  private namespaceSelectorProducer?: () => LabelSelector | undefined;
  private federatesWithProducer?: () => string[];

  public constructor(scope: Construct, id: string, props: ClusterSpiffeIdProps) {
    super(scope, id);
    guardProps(this, 'ClusterSpiffeId', props);
    if (!props || typeof props !== 'object' || !props.spire) {
      invalid(this, 'spire', props?.spire, 'must be the SpireDeployment whose controller manager reconciles this registration');
    }
    this.props = props;
    this.spire = props.spire;
    this.name = checkDns1123Label(this, 'name', props.name ?? id);
    this.fallback = props.fallback ?? false;
    this.spiffeIdTemplate = props.spiffeIdTemplate ?? ISTIO_SPIFFE_ID_TEMPLATE;
    const prefix = /^spiffe:\/\/([^/]+)\/./.exec(this.spiffeIdTemplate);
    const trustDomain = this.spire.trustDomain;
    if (!prefix || (prefix[1] !== '{{ .TrustDomain }}' && prefix[1] !== trustDomain)) {
      invalid(this, 'spiffeIdTemplate', this.spiffeIdTemplate,
        `must be a SPIFFE ID in the SPIRE trust domain: 'spiffe://{{ .TrustDomain }}/<path>' or 'spiffe://${trustDomain}/<path>'`,
        `for example '${ISTIO_SPIFFE_ID_TEMPLATE}'`);
    }
    checkIdentityShape(this, this.spiffeIdTemplate.slice(prefix[0].length - 2));
    checkSelector(this, 'namespaceSelector', props.namespaceSelector);
    checkSelector(this, 'podSelector', props.podSelector);
    const maxTtl = Duration.seconds(Math.floor(this.spire.caTtl.toSeconds() / 2));
    if (props.ttl !== undefined) checkDuration(this, 'ttl', props.ttl, Duration.minutes(1), maxTtl, 'half the CA TTL at most');
    if (props.jwtTtl !== undefined) checkDuration(this, 'jwtTtl', props.jwtTtl, Duration.minutes(1), maxTtl, 'half the CA TTL at most');
    for (const td of props.federatesWith ?? []) checkTrustDomain(this, 'federatesWith', td);
    for (const t of props.workloadSelectorTemplates ?? []) {
      if (typeof t !== 'string' || !/^[a-z0-9_]+:.+$/.test(t)) {
        invalid(this, 'workloadSelectorTemplates', t, 'must be \'<type>:<value>\', for example \'k8s:container-name:app\'');
      }
    }

    addRegistration(this.spire, this);
    const graph = IntentGraph.of(this);
    const at = graph._placement(Layer.IDENTITY, this, `spiffeid-${this.name}`, 'Resource');
    this.resource = clusterScoped(new spire.ClusterSpiffeid(at.scope, at.id, {
      metadata: { name: this.name, labels: { ...MANAGED_BY } },
      spec: Lazy.any({ produce: () => this._toSpec() }) as unknown as spire.ClusterSpiffeidSpec,
    }));
  }

  /** The namespace selector in effect. */
  public get namespaceSelector(): LabelSelector | undefined {
    return this.namespaceSelectorProducer ? this.namespaceSelectorProducer() : this.props.namespaceSelector;
  }

  /** The pod selector in effect. */
  public get podSelector(): LabelSelector | undefined {
    return this.props.podSelector;
  }

  /**
   * Whether this registration selects a pod with `podLabels` in a namespace with
   * `namespaceLabels` (the controller manager's selection, before fallback handling).
   */
  public selects(namespaceLabels: { [key: string]: string }, podLabels: { [key: string]: string }): boolean {
    guardArgs(this, 'ClusterSpiffeId', 'selects', [namespaceLabels, podLabels]);
    return matchesSelector(this.namespaceSelector, namespaceLabels) && matchesSelector(this.podSelector, podLabels);
  }

  /**
   * Makes the namespace selector lazy (the intent graph's namespaces at synthesis time).
   * @internal
   */
  public _lazyNamespaceSelector(producer: () => LabelSelector | undefined): void {
    this.namespaceSelectorProducer = producer;
  }

  /**
   * Makes `federatesWith` lazy (added to the declared trust domains at synthesis time).
   * @internal
   */
  public _lazyFederatesWith(producer: () => string[]): void {
    this.federatesWithProducer = producer;
  }

  /** The trust domains the registered workloads federate with, sorted. */
  public get federatesWith(): string[] {
    return [...new Set([...this.props.federatesWith ?? [], ...this.federatesWithProducer?.() ?? []])].sort();
  }

  /** @internal */
  public _toSpec(): spire.ClusterSpiffeidSpec {
    const p = this.props;
    const federatesWith = this.federatesWith;
    return {
      className: this.spire.className,
      spiffeIdTemplate: this.spiffeIdTemplate,
      ...(this.namespaceSelector ? { namespaceSelector: toKube(this.namespaceSelector) } : {}),
      ...(p.podSelector ? { podSelector: toKube(p.podSelector) } : {}),
      ...(p.ttl ? { ttl: goDuration(p.ttl) } : {}),
      ...(p.jwtTtl ? { jwtTtl: goDuration(p.jwtTtl) } : {}),
      ...(p.dnsNameTemplates?.length ? { dnsNameTemplates: [...p.dnsNameTemplates] } : {}),
      ...(federatesWith.length ? { federatesWith } : {}),
      ...(p.workloadSelectorTemplates?.length ? { workloadSelectorTemplates: [...p.workloadSelectorTemplates] } : {}),
      ...(this.fallback ? { fallback: true } : {}),
      ...(p.hint ? { hint: p.hint } : {}),
    };
  }
}

function toKube(s: LabelSelector): { matchLabels?: { [key: string]: string }; matchExpressions?: any[] } {
  return {
    ...(s.matchLabels && Object.keys(s.matchLabels).length ? { matchLabels: { ...s.matchLabels } } : {}),
    ...(s.matchExpressions?.length ? {
      matchExpressions: s.matchExpressions.map(e => ({ key: e.key, operator: e.operator, ...(e.values ? { values: [...e.values] } : {}) })),
    } : {}),
  };
}

function checkSelector(scope: Construct, prop: string, s?: LabelSelector): void {
  if (s === undefined) return;
  for (const e of s.matchExpressions ?? []) {
    if (!Object.values(LabelSelectorOperator).includes(e.operator)) {
      invalid(scope, `${prop}.matchExpressions.operator`, e.operator, `must be one of ${Object.values(LabelSelectorOperator).join(', ')}`);
    }
    const needsValues = e.operator === LabelSelectorOperator.IN || e.operator === LabelSelectorOperator.NOT_IN;
    if (needsValues !== ((e.values ?? []).length > 0)) {
      invalid(scope, `${prop}.matchExpressions.values`, e.values ?? null, `must be non-empty for In and NotIn and absent for Exists and DoesNotExist (key ${e.key})`);
    }
  }
}

const REGISTRATIONS = new WeakMap<ISpireDeployment, ClusterSpiffeId[]>();

/** Every ClusterSPIFFEID reconciled by `spire`, in definition order. @internal */
export function clusterSpiffeIdsOf(deployment: ISpireDeployment): ClusterSpiffeId[] {
  return [...REGISTRATIONS.get(deployment) ?? []];
}

function addRegistration(deployment: ISpireDeployment, registration: ClusterSpiffeId): void {
  const registrations = REGISTRATIONS.get(deployment) ?? [];
  const clash = registrations.find(r => r.name === registration.name);
  if (clash) {
    invalid(registration, 'name', registration.name, `${clash.node.path} already defines a ClusterSPIFFEID with this name`, 'give each registration its own name');
  }
  registrations.push(registration);
  REGISTRATIONS.set(deployment, registrations);
}

const ISTIO_PATH = ISTIO_SPIFFE_ID_TEMPLATE.replace(/^spiffe:\/\/[^/]+/, '');

/**
 * A registration must never produce the SPIFFE ID of another workload. Workload identities in
 * the mesh are `/ns/<namespace>/sa/<service account>`: a template whose path could take that
 * shape must be exactly Istio's, which gives each pod its own namespace and ServiceAccount.
 * Actions are limited to field references (`{{ .PodMeta.Name }}`, `{{ index .PodMeta.Labels "k" }}`),
 * whose values (Kubernetes names and label values) never hold a '/'.
 */
function checkIdentityShape(scope: ClusterSpiffeId, path: string): void {
  let actions;
  try {
    actions = parseTemplate(path);
  } catch (e) {
    if (!(e instanceof GoTemplateError)) throw e;
    invalid(scope, 'spiffeIdTemplate', scope.spiffeIdTemplate, `is not a valid Go template: ${e.message}`);
  }
  for (const a of actions) {
    const t = a.tokens;
    const field = t.length === 1 && t[0].kind === 'field';
    const indexed = t.length === 3 && t[0].text === 'index' && t[1].kind === 'field' && (t[2].kind === 'string' || t[2].kind === 'raw');
    if (!field && !indexed) {
      invalid(scope, 'spiffeIdTemplate', scope.spiffeIdTemplate,
        'may use only field references such as {{ .PodMeta.Name }} or {{ index .PodMeta.Labels "app" }}: functions and pipelines could build another workload\'s identity');
    }
  }
  // every action becomes '*' (any text without '/'), then the path is read segment by segment
  let shape = path;
  let canonical = path;
  for (const a of [...actions].reverse()) {
    const end = path.indexOf('}}', a.at) + 2;
    shape = shape.slice(0, a.at) + '\u0000' + shape.slice(end);
    canonical = canonical.slice(0, a.at) + `{{ ${a.tokens.map(t => t.text).join(' ')} }}` + canonical.slice(end);
  }
  const segments = shape.split('/');
  // SPIFFE ID path: '/'-separated segments of letters, digits, '.', '-' and '_', none empty,
  // '.' or '..' (the SPIFFE ID standard, 2.2); the controller manager refuses anything else
  if (segments[0] !== '' || segments.slice(1).some(s => s === '' || s === '.' || s === '..' || !/^[A-Za-z0-9._\u0000-]+$/.test(s))) {
    invalid(scope, 'spiffeIdTemplate', scope.spiffeIdTemplate,
      'must have a SPIFFE ID path: \'/\'-separated segments of letters, digits, \'.\', \'-\' and \'_\' (around {{ }} actions), none empty, \'.\' or \'..\', no trailing \'/\'',
      'for example \'spiffe://{{ .TrustDomain }}/gateway/{{ .PodMeta.Name }}\'');
  }
  const canBe = (segment: string, word: string) => segment === word || segment.includes('\u0000');
  if (canonical !== ISTIO_PATH && segments.length === 5 && segments[0] === '' && canBe(segments[1], 'ns') && canBe(segments[3], 'sa')) {
    invalid(scope, 'spiffeIdTemplate', scope.spiffeIdTemplate,
      'could produce a workload identity of the mesh (/ns/<namespace>/sa/<service account>) that is not the pod\'s own: pods it selects would get the principal other workloads\' callers allow',
      `use '${ISTIO_SPIFFE_ID_TEMPLATE}' for mesh workloads, or an ID path outside /ns/*/sa/* (for example 'spiffe://{{ .TrustDomain }}/gateway/{{ .PodMeta.Name }}')`);
  }
}

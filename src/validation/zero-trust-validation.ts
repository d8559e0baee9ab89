// the CLI's plugin contract, as types only: cdk8s-cli is never a run-time dependency
// eslint-disable-next-line import/no-extraneous-dependencies
import type { ValidationContext, ValidationViolation } from 'cdk8s-cli/plugins';
import { constraintTemplates } from './_gatekeeper';
import { label } from './_registry';
import { keepStdoutForManifests } from './_stdout';
import { PostureRule, RuleFinding } from './rules/_rule';
import { POSTURE_RULES } from './rules/index';
import { SchemaValidator } from './schema-validator';
import { guardArgs, guardProps, staticScope } from '../intent/_guards';

/**
 * An exception to a rule, for some resources, with the reason it is acceptable.
 */
export interface RuleSuppression {
  /** The rule id (for example `host-namespaces`), or `schema` for schema errors. */
  readonly rule: string;

  /**
   * The resources it covers: `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects;
   * `*` matches any characters within one segment (`DaemonSet/spire-system/*`).
   *
   * @default - every resource
   */
  readonly resources?: string[];

  /** Why the exception is acceptable: shown in the report, required. */
  readonly reason: string;
}

/**
 * Properties of the zero-trust validation plugin. In `cdk8s.yaml` they are the validation's
 * `properties`.
 */
export interface ZeroTrustValidationProps {
  /**
   * Validate every object against the Kubernetes and CRD schemas (unknown fields are errors).
   *
   * @default true
   */
  readonly schemas?: boolean;

  /**
   * The Kubernetes versions core objects must validate against.
   *
   * @default ['v1.32.0', 'v1.35.0']
   */
  readonly kubernetesVersions?: string[];

  /**
   * A schema folder (`k8s-schemas/<version>/_definitions.json`, `crds/**.yaml`), for other
   * Kubernetes versions or CRDs.
   *
   * @default - the schemas shipped in the package
   */
  readonly schemaDir?: string;

  /**
   * Exceptions, each with its reason.
   *
   * @default - none
   */
  readonly suppressions?: RuleSuppression[];

  /**
   * Fail on warnings too.
   *
   * @default false
   */
  readonly failOnWarnings?: boolean;
}

/**
 * One finding of the validation.
 */
export interface ValidationFinding {
  /** The rule id, or `schema`. */
  readonly rule: string;
  /** `error` (fails the validation) or `warning`. */
  readonly severity: string;
  /** The object: `Kind/namespace/name`, or `Kind/name`. */
  readonly resource: string;
  /** The object's `metadata.name` (what cdk8s' construct metadata is keyed by). */
  readonly resourceName: string;
  /** The manifest file, when the objects came from one. */
  readonly manifest?: string;
  /** The JSON pointer in the object. */
  readonly location: string;
  /** What is wrong. */
  readonly message: string;
  /** The reason of the suppression that covers it, if one does. */
  readonly suppressedBecause?: string;
}

/** The id of schema findings. */
const SCHEMA_RULE = 'schema';
const SCHEMA_EXPLANATION = 'an object the API server (or the CRD) would reject, or whose unknown fields it would silently drop, is not what was reviewed';
const SCHEMA_FIX = 'fix the field the message names; the schemas are the pinned Kubernetes and CRD versions';

interface Manifest {
  readonly path?: string;
  readonly objects: any[];
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(p => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
}

/**
 * The zero-trust validation plugin of `cdk8s synth --validate` (any manifests, including Helm
 * output the library did not produce), in the spirit of cdk-nag:
 *
 * - schema validation: every object against the Kubernetes 1.32 and 1.35 schemas and the pinned
 *   CRDs, unknown fields rejected (`SchemaValidator`);
 * - posture rules, each with an id, a severity, an explanation and a fix: privileged containers,
 *   privilege escalation, run as non-root, drop ALL, read-only root filesystem, seccomp,
 *   limits, host namespaces, hostPath volumes, dedicated ServiceAccounts, token automount,
 *   pinned images, Secrets with values, STRICT mTLS, the DENY AuthorizationPolicy traps, and a
 *   default-deny NetworkPolicy per Namespace;
 * - suppressions with a reason, per rule and resource pattern.
 *
 * Errors fail the validation (the CLI exits 2); warnings are reported. Declare it in
 * `cdk8s.yaml`:
 *
 * ```yaml
 * validations:
 *   - package: ./node_modules/cdk8s-zero-trust
 *     version: 0.0.0
 *     class: ZeroTrustValidation
 *     properties:
 *       suppressions:
 *         - rule: host-namespaces
 *           resources: [DaemonSet/spire-system/spire-agent]
 *           reason: the SPIRE agent attests workloads through the host PID namespace
 * ```
 */
export class ZeroTrustValidation {
  /** The ids of the posture rules (plus `schema`). */
  public static readonly RULE_IDS: string[] = [SCHEMA_RULE, ...POSTURE_RULES.map(r => r.id)];

  private readonly props: ZeroTrustValidationProps;
  private readonly suppressions: Array<RuleSuppression & { readonly patterns: RegExp[] }>;
  private schemaValidator?: SchemaValidator;

  public constructor(props: ZeroTrustValidationProps = {}) {
    guardProps(staticScope('ZeroTrustValidation'), 'ZeroTrustValidation', props);
    this.props = props;
    // cdk8s synth --stdout --validate: the CLI's validation messages go to stderr, not into the manifests
    keepStdoutForManifests();
    this.suppressions = (props.suppressions ?? []).map((s, i) => {
      const where = `ZeroTrustValidation: invalid suppressions[${i}]`;
      if (!ZeroTrustValidation.RULE_IDS.includes(s?.rule)) {
        throw new Error(`${where}: rule ${JSON.stringify(s?.rule)} is not one of ${ZeroTrustValidation.RULE_IDS.join(', ')}`);
      }
      if (typeof s.reason !== 'string' || s.reason.trim() === '') {
        throw new Error(`${where}: a suppression of ${s.rule} needs a reason: say why the exception is acceptable`);
      }
      const resources = s.resources ?? ['*/*', '*/*/*'];
      for (const r of resources) {
        if (typeof r !== 'string' || !/^[^/]+(\/[^/]+){1,2}$/.test(r)) {
          throw new Error(`${where}: resource ${JSON.stringify(r)} must be Kind/namespace/name or Kind/name (* matches within a segment)`);
        }
      }
      return { ...s, patterns: resources.map(globToRegExp) };
    });
  }

  /**
   * Checks objects (all of one app, so that rules across objects see them all) and returns every
   * finding, suppressed ones included (with `suppressedBecause`).
   */
  public check(objects: any[]): ValidationFinding[] {
    guardArgs(staticScope('ZeroTrustValidation.check'), 'ZeroTrustValidation', 'check', [objects]);
    return this._checkManifests([{ objects }]);
  }

  /**
   * Runs the validation for cdk8s-cli (`cdk8s synth --validate`): `context` is the CLI's
   * `ValidationContext` (cdk8s-cli/plugins), whose report gets one violation per rule.
   */
  public async validate(context: any): Promise<void> {
    const ctx = context as ValidationContext;
    const manifests: Manifest[] = ctx.manifests.map(p => ({ path: p, objects: ctx.parseManifest(p).filter(o => o !== null && o !== undefined) }));
    const findings = this._checkManifests(manifests);
    const open = findings.filter(f => !f.suppressedBecause);
    for (const f of findings.filter(s => s.suppressedBecause)) {
      ctx.logger.log(`suppressed ${f.rule} on ${f.resource} ${f.location}: ${f.suppressedBecause}`);
    }
    for (const violation of this.violations(open)) ctx.report.addViolation(violation);
    const errors = open.filter(f => f.severity === 'error').length;
    const warnings = open.length - errors;
    const failed = errors > 0 || (this.props.failOnWarnings === true && warnings > 0);
    const validator = this.props.schemas === false ? undefined : this.validator();
    ctx.report.submit(failed ? 'failure' : 'success', {
      'objects': String(manifests.reduce((n, m) => n + m.objects.length, 0)),
      'errors': String(errors),
      'warnings': String(warnings),
      'suppressed': String(findings.length - open.length),
      'schemas': validator ? `Kubernetes ${validator.kubernetesVersions.join(', ')} and CRDs from ${validator.schemaSource}` : 'not checked (schemas: false)',
      'CRD CEL rules': validator ? (validator.celAvailable ? 'evaluated' : validator.celUnavailableReason!) : 'not checked',
    });
  }

  /**
   * Every finding of the manifests.
   * @internal
   */
  public _checkManifests(manifests: Manifest[]): ValidationFinding[] {
    const all = manifests.flatMap(m => m.objects);
    const findings: ValidationFinding[] = [];
    const add = (m: Manifest, obj: any, rule: string, severity: string, f: RuleFinding) => {
      const resource = label(obj);
      findings.push({
        rule,
        severity,
        resource,
        resourceName: String(obj?.metadata?.name ?? resource),
        manifest: m.path,
        location: f.pointer,
        message: f.message,
        suppressedBecause: this.suppressedBecause(rule, resource),
      });
    };
    if (this.props.schemas !== false) {
      const validator = this.validator();
      const templates = constraintTemplates(all);
      for (const m of manifests) {
        for (const obj of m.objects) {
          const prefix = `${label(obj)}: `;
          for (const e of validator._validateObject(obj, templates)) {
            const text = e.startsWith(prefix) ? e.slice(prefix.length) : e;
            const pointer = /\] (\/[^:]*):/.exec(text)?.[1] ?? '/';
            add(m, obj, SCHEMA_RULE, 'error', { pointer, message: text });
          }
        }
      }
    }
    for (const rule of POSTURE_RULES) {
      for (const m of manifests) {
        for (const obj of m.objects) {
          for (const f of this.run(rule, obj, all)) add(m, obj, rule.id, rule.severity, f);
        }
      }
    }
    return findings;
  }

  private run(rule: PostureRule, obj: any, all: any[]): RuleFinding[] {
    try {
      return rule.check(obj, { objects: all }) ?? [];
    } catch (e: any) {
      // a rule that throws is a finding, never a crash of the whole validation (cdk-nag does the same)
      return [{ pointer: '/', message: `the rule could not be evaluated on this object: ${e?.message ?? e}` }];
    }
  }

  private suppressedBecause(rule: string, resource: string): string | undefined {
    return this.suppressions.find(s => s.rule === rule && s.patterns.some(p => p.test(resource)))?.reason;
  }

  private validator(): SchemaValidator {
    this.schemaValidator ??= new SchemaValidator({ kubernetesVersions: this.props.kubernetesVersions, schemaDir: this.props.schemaDir });
    return this.schemaValidator;
  }

  private violations(findings: ValidationFinding[]): ValidationViolation[] {
    const byRule = new Map<string, ValidationFinding[]>();
    for (const f of findings) byRule.set(f.rule, [...byRule.get(f.rule) ?? [], f]);
    return [...byRule.entries()].map(([id, list]) => {
      const rule = POSTURE_RULES.find(r => r.id === id);
      const resources = new Map<string, { resourceName: string; manifestPath: string; locations: string[] }>();
      for (const f of list) {
        const key = `${f.manifest}\0${f.resource}`;
        const entry = resources.get(key) ?? { resourceName: f.resourceName, manifestPath: f.manifest ?? '', locations: [] };
        entry.locations.push(`${f.resource} ${f.location}: ${f.message}`);
        resources.set(key, entry);
      }
      return {
        ruleName: `${id} [${list[0].severity}]`,
        recommendation: rule?.explanation ?? SCHEMA_EXPLANATION,
        fix: rule?.fix ?? SCHEMA_FIX,
        violatingResources: [...resources.values()],
      };
    });
  }
}

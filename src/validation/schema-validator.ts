import * as fs from 'fs';
import { constraintTemplates } from './_gatekeeper';
import { CelEvaluator, Registry, validateWith } from './_registry';
import { BundledSchemas, SchemaDirectory, SchemaSource } from './_schema-source';
import { guardArgs, guardProps, staticScope } from '../intent/_guards';
import { invalid } from '../intent/_validation';

/**
 * Properties of a schema validator.
 */
export interface SchemaValidatorProps {
  /**
   * The Kubernetes versions every core object must validate against (all of them).
   *
   * @default ['v1.32.0', 'v1.35.0']
   */
  readonly kubernetesVersions?: string[];

  /**
   * A folder with the schemas, laid out as `k8s-schemas/<version>/_definitions.json` (the
   * yannh/kubernetes-json-schema `_definitions.json` of each version) and `crds/**.yaml` (the
   * CustomResourceDefinitions).
   *
   * @default - the schemas shipped in the package: Kubernetes v1.32.0 and v1.35.0 and the pinned
   * CRDs of the components this library targets (Istio, SPIRE, Gatekeeper, Kyverno, Cilium,
   * Prometheus Operator, Gateway API, External Secrets, Secrets Store CSI)
   */
  readonly schemaDir?: string;
}

/**
 * Validates Kubernetes objects, strictly, against the Kubernetes schemas of every targeted
 * version and the pinned CRD schemas, like `kubeconform -strict` plus what the API server checks
 * beyond the schemas.
 *
 * - core objects against every version in `kubernetesVersions`; unknown fields are errors;
 * - custom resources against the served version of their CRD (unknown fields are errors unless
 *   the schema preserves them), their `metadata` against the core ObjectMeta, and the CRD's CEL
 *   rules (`x-kubernetes-validations`) when `@bufbuild/cel` is installed (`celAvailable`);
 * - Gatekeeper constraints against Gatekeeper's constraint fields, with `spec.parameters`
 *   checked by their ConstraintTemplate's schema when the template is among the objects;
 * - `metadata.name` present, no namespace on cluster-scoped kinds, and the fixed value sets of
 *   core fields the API server enforces in code.
 *
 * An object whose kind has no schema is an error, never skipped. Needs ajv 8 at run time, which
 * cdk8s-cli 2.x brings (the validator finds it there when it runs as the CLI's plugin).
 */
export class SchemaValidator {
  /** The Kubernetes versions validated against by default. */
  public static readonly DEFAULT_KUBERNETES_VERSIONS: string[] = ['v1.32.0', 'v1.35.0'];

  /** The Kubernetes versions every core object is validated against. */
  public readonly kubernetesVersions: string[];
  /** Where the schemas come from. */
  public readonly schemaSource: string;
  /**
   * Whether CRD CEL rules are evaluated: `@bufbuild/cel` and `@bufbuild/protobuf` could be
   * loaded. Without them the rules are not evaluated (`celUnavailableReason` says why).
   */
  public readonly celAvailable: boolean;
  /** Why CEL rules are not evaluated, when they are not. */
  public readonly celUnavailableReason?: string;

  private readonly registry: Registry;
  private readonly cel?: CelEvaluator;

  public constructor(props: SchemaValidatorProps = {}) {
    const scope = staticScope('SchemaValidator');
    guardProps(scope, 'SchemaValidator', props);
    this.kubernetesVersions = [...(props.kubernetesVersions ?? SchemaValidator.DEFAULT_KUBERNETES_VERSIONS)];
    if (this.kubernetesVersions.length === 0) {
      invalid(scope, 'kubernetesVersions', props.kubernetesVersions, 'must name at least one Kubernetes version', `for example ${JSON.stringify(SchemaValidator.DEFAULT_KUBERNETES_VERSIONS)} (the default)`);
    }
    if (props.schemaDir !== undefined && !fs.existsSync(props.schemaDir)) {
      invalid(scope, 'schemaDir', props.schemaDir, 'is not an existing folder', 'give a folder holding k8s-schemas/<version>/_definitions.json and crds/, or leave it out to use the bundled schemas');
    }
    const source: SchemaSource = props.schemaDir ? new SchemaDirectory(props.schemaDir) : new BundledSchemas();
    this.schemaSource = source.description;
    this.registry = new Registry(source, this.kubernetesVersions);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      this.cel = require('./_cel').celIssues;
      this.celAvailable = true;
    } catch (e: any) {
      this.celAvailable = false;
      this.celUnavailableReason = `CRD CEL rules (x-kubernetes-validations) are not evaluated: ${String(e?.message ?? e).split('\n')[0]}; `
        + 'install @bufbuild/cel@0.6.1 and @bufbuild/protobuf@2 to evaluate them';
    }
  }

  /**
   * Validates objects (Gatekeeper constraints are checked against the ConstraintTemplates among
   * them). Returns every error, each naming the object (`kind/namespace/name`), the schema
   * source(s), the JSON pointer and the message; empty when all are valid.
   */
  public validate(objects: any[]): string[] {
    guardArgs(staticScope('SchemaValidator.validate'), 'SchemaValidator', 'validate', [objects]);
    if (!Array.isArray(objects)) return [`[validator] validate expects an array of objects, got ${typeof objects}`];
    const templates = constraintTemplates(objects);
    return objects.flatMap(o => this._validateObject(o, templates));
  }

  /** Every kind the validator has a schema for, e.g. `apps/v1 Deployment [k8s v1.32.0, v1.35.0]`. */
  public knownKinds(): string[] {
    return this.registry.knownKinds();
  }

  /**
   * Validates one object; `templates` maps constraint kinds to their parameters schema.
   * @internal
   */
  public _validateObject(obj: any, templates: Map<string, any>): string[] {
    return validateWith(this.registry, obj, templates, this.cel);
  }
}

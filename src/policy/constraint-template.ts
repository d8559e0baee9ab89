import { Construct } from 'constructs';
import { regoPackage, regoProblem } from './_rego';
import * as gk from '../imports/gatekeeper-templates';
import { guardProps } from '../intent/_guards';
import { invalid } from '../intent/_validation';

/**
 * The Rego syntax of a ConstraintTemplate.
 *
 * Gatekeeper parses the legacy `targets[].rego` field and unversioned `code[]` sources as Rego
 * v0; Rego v1 is opt-in (Gatekeeper 3.19+) with `code[].source.version: "v1"`. Mixing syntaxes
 * fails with `rego_parse_error` (gatekeeper issue #3577).
 */
export enum RegoVersion {
  /** Rego v0 (`violation[{"msg": msg}] { ... }`): every Gatekeeper version, and `gator`. */
  V0 = 'v0',
  /** Rego v1 (`violation contains {"msg": msg} if { ... }`): Gatekeeper 3.19 or later. */
  V1 = 'v1',
}

/**
 * A named CEL expression of a `K8sNativeValidation` (or Kyverno `validate.cel`) source, read by
 * later expressions as `variables.<name>`.
 */
export interface CelVariable {
  /** The variable name (a CEL identifier). */
  readonly name: string;
  /** The CEL expression. */
  readonly expression: string;
}

/**
 * A CEL validation: the request is a violation when `expression` is false.
 */
export interface CelValidation {
  /** The CEL expression; false means a violation. */
  readonly expression: string;
  /**
   * A static message.
   *
   * @default - none (use messageExpression)
   */
  readonly message?: string;
  /**
   * A CEL expression that produces the message.
   *
   * @default - none (use message)
   */
  readonly messageExpression?: string;
}

/**
 * Properties of a ConstraintTemplate.
 */
export interface ConstraintTemplateProps {
  /**
   * The constraint kind the template defines (CamelCase, for example `K8sPSPAllowedUsers`). The
   * template's name is the kind in lower case, and the Rego package must be that name.
   */
  readonly kind: string;

  /**
   * The Rego module, with `package <lower-case kind>` and a `violation` rule in the syntax of
   * `regoVersion`.
   */
  readonly rego: string;

  /**
   * The Rego syntax of `rego` and `libs`.
   *
   * @default RegoVersion.V0
   */
  readonly regoVersion?: RegoVersion;

  /**
   * Rego library modules imported by `rego` (each `package lib.<name>`).
   *
   * @default - none
   */
  readonly libs?: string[];

  /**
   * The OpenAPI v3 schema of the constraint's `spec.parameters` properties (structural: every
   * node has a `type`).
   *
   * @default - the constraint takes no parameters
   */
  readonly parameters?: { [name: string]: any };

  /**
   * Variables of the template's CEL (`K8sNativeValidation`) source. Gatekeeper provides
   * `variables.anyObject` (the object, or the old object on DELETE) and `variables.params` (the
   * constraint's parameters).
   *
   * @default - none
   */
  readonly celVariables?: CelVariable[];

  /**
   * Validations of the template's CEL (`K8sNativeValidation`) source. When given, the template
   * carries the CEL source before the Rego one: Gatekeeper 3.18+ evaluates CEL in process and
   * keeps the Rego for engines without CEL (for example `gator` with CEL disabled).
   *
   * @default - Rego only
   */
  readonly celValidations?: CelValidation[];

  /**
   * A description, written to the `description` annotation.
   *
   * @default - none
   */
  readonly description?: string;
}

const KIND = /^[A-Z][A-Za-z0-9]*$/;
const CEL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables Gatekeeper defines for every K8sNativeValidation source. */
const GATEKEEPER_CEL_VARIABLES = ['anyObject', 'params'];
const ADMISSION_TARGET = 'admission.k8s.gatekeeper.sh';

/**
 * Defines a Gatekeeper ConstraintTemplate (`templates.gatekeeper.sh/v1`): the Rego (and
 * optionally CEL) logic of a policy and the schema of its constraints' parameters.
 *
 * The template's name is its kind in lower case, as Gatekeeper requires; the Rego module must
 * declare that package, a `violation` rule in the syntax of `regoVersion`, balanced brackets and
 * strings with valid escapes, and import only libraries (`data.lib.<name>`) and `future.keywords`
 * — checked at synthesis time, so a template Gatekeeper would refuse is never emitted.
 *
 * Apply templates before their constraints: Gatekeeper creates the constraint CRD from the
 * template ("no matches for kind" otherwise). `Constraint` instantiates it.
 *
 * @see https://open-policy-agent.github.io/gatekeeper/website/docs/constrainttemplates
 */
export class ConstraintTemplate extends Construct {
  /** The constraint kind. */
  public readonly kind: string;
  /** The template name (the kind in lower case). */
  public readonly templateName: string;
  /** The Rego syntax. */
  public readonly regoVersion: RegoVersion;
  /** The parameters' schema properties (empty when the constraint takes none). */
  public readonly parameters: { [name: string]: any };
  /** The ConstraintTemplate object. */
  public readonly resource: gk.ConstraintTemplate;

  public constructor(scope: Construct, id: string, props: ConstraintTemplateProps) {
    super(scope, id);
    guardProps(this, 'ConstraintTemplate', props);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with at least kind and rego');
    }
    if (typeof props.kind !== 'string' || !KIND.test(props.kind) || props.kind.length > 63) {
      invalid(this, 'kind', props.kind, 'must be a CamelCase Kubernetes kind of at most 63 letters and digits starting with an upper-case letter (the template name is its lower-case form)',
        'for example \'K8sPSPAllowedUsers\'');
    }
    this.kind = props.kind;
    this.templateName = props.kind.toLowerCase();
    this.regoVersion = props.regoVersion ?? RegoVersion.V0;
    if (!Object.values(RegoVersion).includes(this.regoVersion)) {
      invalid(this, 'regoVersion', this.regoVersion, `must be one of ${Object.values(RegoVersion).join(', ')}`);
    }
    if (typeof props.rego !== 'string' || props.rego.trim() === '') {
      invalid(this, 'rego', props.rego, 'must be a Rego module');
    }
    const pkg = regoPackage(props.rego);
    if (pkg !== this.templateName) {
      invalid(this, 'rego', pkg === undefined ? 'no package' : `package ${pkg}`,
        `must declare \`package ${this.templateName}\`: a template's Rego package is its name, the lower-case kind ${this.kind}`,
        `start the module with 'package ${this.templateName}'`);
    }
    const problem = regoProblem(props.rego, this.regoVersion, true);
    if (problem) {
      const fix = problem.startsWith('imports') ? 'import only libraries (data.lib.<name>, given in libs) and future.keywords'
        : !problem.includes('rule heads') ? 'Gatekeeper would reject the template with rego_parse_error'
          : this.regoVersion === RegoVersion.V0 ? 'write v0 rule heads, or set regoVersion: RegoVersion.V1 (Gatekeeper 3.19+)' : 'write v1 rule heads (`violation contains {...} if {`)';
      invalid(this, 'rego', `package ${pkg}`, `is not valid Rego ${this.regoVersion}: it ${problem}`, fix);
    }
    for (const lib of props.libs ?? []) {
      const libPkg = typeof lib === 'string' ? regoPackage(lib) : undefined;
      if (!libPkg || !libPkg.startsWith('lib.')) {
        invalid(this, 'libs', libPkg ?? lib, 'each library must declare `package lib.<name>`: Gatekeeper only accepts libraries under data.lib');
      }
      const libProblem = regoProblem(lib, this.regoVersion, false);
      if (libProblem) invalid(this, 'libs', `package ${libPkg}`, `is not valid Rego ${this.regoVersion}: it ${libProblem}`);
    }
    this.parameters = { ...(props.parameters ?? {}) };
    checkStructural(this, 'parameters', { type: 'object', properties: this.parameters });

    const variables = props.celVariables ?? [];
    const validations = props.celValidations ?? [];
    if (variables.length > 0 && validations.length === 0) {
      invalid(this, 'celValidations', validations, 'must not be empty when celVariables are given', 'add the validations that use the variables');
    }
    const seen = new Set<string>();
    for (const v of variables) {
      if (!v || typeof v.name !== 'string' || !CEL_IDENTIFIER.test(v.name) || GATEKEEPER_CEL_VARIABLES.includes(v.name) || seen.has(v.name)) {
        invalid(this, 'celVariables', v?.name, `each name must be a unique CEL identifier other than ${GATEKEEPER_CEL_VARIABLES.join(' and ')} (Gatekeeper defines them)`);
      }
      seen.add(v.name);
      if (typeof v.expression !== 'string' || v.expression.trim() === '') invalid(this, `celVariables.${v.name}`, v.expression, 'must be a CEL expression');
    }
    for (const v of validations) {
      if (!v || typeof v.expression !== 'string' || v.expression.trim() === '') invalid(this, 'celValidations', v, 'each validation needs a CEL expression');
      if (v.message === undefined && v.messageExpression === undefined) {
        invalid(this, 'celValidations', v.expression, 'needs a message or a messageExpression: a violation without a message cannot be acted on');
      }
    }

    const rego = this.regoVersion === RegoVersion.V1
      ? { rego: props.rego, ...(props.libs?.length ? { libs: props.libs } : {}), version: 'v1' }
      : { rego: props.rego, ...(props.libs?.length ? { libs: props.libs } : {}) };
    const code: gk.ConstraintTemplateSpecTargetsCode[] = [
      ...(validations.length > 0 ? [{
        engine: 'K8sNativeValidation',
        source: {
          ...(variables.length > 0 ? { variables: variables.map(v => ({ name: v.name, expression: v.expression })) } : {}),
          validations: validations.map(v => ({
            expression: v.expression,
            ...(v.message !== undefined ? { message: v.message } : {}),
            ...(v.messageExpression !== undefined ? { messageExpression: v.messageExpression } : {}),
          })),
        },
      }] : []),
      { engine: 'Rego', source: rego },
    ];

    this.resource = new gk.ConstraintTemplate(this, 'Resource', {
      metadata: {
        name: this.templateName,
        labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' },
        ...(props.description ? { annotations: { description: props.description } } : {}),
      },
      spec: {
        crd: {
          spec: {
            names: { kind: this.kind },
            ...(Object.keys(this.parameters).length > 0
              ? { validation: { openApiv3Schema: { type: 'object', properties: this.parameters } } }
              : {}),
          },
        },
        targets: [{ target: ADMISSION_TARGET, code }],
      },
    });
  }
}

/** A structural schema gives every node a type (Gatekeeper's v1 templates require it). */
function checkStructural(scope: Construct, path: string, schema: any): void {
  if (!schema || typeof schema !== 'object' || typeof schema.type !== 'string') {
    invalid(scope, path, schema, 'must be a structural OpenAPI v3 schema: every node needs a `type`');
  }
  for (const [name, child] of Object.entries<any>(schema.properties ?? {})) checkStructural(scope, `${path}.${name}`, child);
  if (schema.items) checkStructural(scope, `${path}[]`, schema.items);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') checkStructural(scope, `${path}.*`, schema.additionalProperties);
}

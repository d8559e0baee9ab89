/**
 * The pack for Kubernetes' own engine (`admissionregistration.k8s.io/v1`, GA since 1.30; nothing
 * to install): per check a `ValidatingAdmissionPolicy` with the check's CEL, its parameters in a
 * ConfigMap (the param resource, `paramKind: v1 ConfigMap`) and a
 * `ValidatingAdmissionPolicyBinding` that names the ConfigMap and carries the rollout stage in
 * `validationActions`.
 *
 * A ConfigMap holds strings only, so each parameter is written in a plain-text form and the
 * policy's `params` variable decodes it back into the structure every engine's CEL reads
 * (`encodeParams` / `decodeParamsCel`, both derived from the check's parameter schema):
 * a list of strings is one entry per line; a list of objects is one line per object, its fields
 * separated by single spaces in the order of the schema's properties, list fields joined with
 * commas; a boolean is `true`/`false`; an integer is its decimal form; an object of scalars is one
 * key per field (`<parameter>.<field>`). Values that would break that form (whitespace, commas
 * in a list field) are refused at synthesis time.
 */
import { ApiObject, Lazy } from 'cdk8s';
import { celSpecOf, matchConstraintsOf, validationActionsOf } from './_admission-policy';
import { CheckDefinition } from './_check';
import { CHECKS } from './_checks';
import { PackView, checkObjectName } from './_pack-view';
import { ZeroTrustPolicy } from './policy-options';
import { MANAGED_BY } from '../intent/_labels';
import { Layer } from '../intent/intent-graph';

/** Reports a value the ConfigMap form cannot carry (throws). */
export type Fail = (what: string, value: unknown, why: string) => never;

/** Fields of list-of-object parameters that are documentation only (kept in a separate key, never decoded). */
const NOTE_FIELDS = ['reason'];

function fieldsOf(schema: any): string[] {
  return Object.keys(schema.items.properties).filter(f => !NOTE_FIELDS.includes(f));
}

function isStringList(schema: any): boolean {
  return schema.type === 'array' && schema.items?.type === 'string';
}

/**
 * The ConfigMap `data` of a check's parameters. Throws (with `fail`) on a value the plain-text
 * form cannot carry exactly.
 */
export function encodeParams(check: CheckDefinition, params: { [name: string]: any }, fail: Fail): { [key: string]: string } {
  const data: { [key: string]: string } = {};
  for (const [name, value] of Object.entries(params)) {
    const schema = check.parameters[name];
    if (!schema) fail(name, value, `is not a parameter of ${check.kind}`);
    if (isStringList(schema)) {
      for (const v of value) if (typeof v !== 'string' || v === '' || /[\r\n]/.test(v)) fail(name, v, 'each entry must be a non-empty single-line string');
      data[name] = (value as string[]).join('\n');
    } else if (schema.type === 'array' && schema.items?.type === 'object') {
      const fields = fieldsOf(schema);
      data[name] = (value as any[]).map(item => fields.map(f => {
        const v = item[f];
        const parts: string[] = v === undefined ? [] : Array.isArray(v) ? v : [v];
        for (const part of parts) {
          if (typeof part !== 'string' || part === '' || /[\s,]/.test(part)) fail(`${name}.${f}`, part, 'must be a non-empty string without whitespace or commas to be carried in a ConfigMap');
        }
        return parts.join(',');
      }).join(' ')).join('\n');
      const notes = NOTE_FIELDS.filter(f => f in schema.items.properties);
      for (const f of notes) data[`${name}.${f}`] = (value as any[]).map(item => String(item[f] ?? '').replace(/[\r\n]+/g, ' ')).join('\n');
    } else if (schema.type === 'boolean' || schema.type === 'integer') {
      data[name] = String(value);
    } else if (schema.type === 'object' && schema.properties) {
      for (const [f, v] of Object.entries<any>(value)) data[`${name}.${f}`] = String(v);
    } else {
      fail(name, value, 'has a schema the ConfigMap form does not carry');
    }
  }
  return data;
}

/** The CEL that decodes the ConfigMap (`params`) back into the check's parameters; `keys` are the data keys written. */
export function decodeParamsCel(check: CheckDefinition, keys: string[]): string {
  const at = (key: string) => `params.data[${JSON.stringify(key)}]`;
  const lines = (key: string) => `${at(key)}.split("\\n").filter(x, x != "")`;
  const entries: string[] = [];
  for (const [name, schema] of Object.entries<any>(check.parameters)) {
    let expression: string | undefined;
    if (isStringList(schema) && keys.includes(name)) {
      expression = lines(name);
    } else if (schema.type === 'array' && schema.items?.type === 'object' && keys.includes(name)) {
      const fields = fieldsOf(schema).map((f, i) => {
        const fieldSchema = schema.items.properties[f];
        const v = `f[${i}]`;
        return `${JSON.stringify(f)}: dyn(${fieldSchema.type === 'array' ? `${v}.split(",").filter(x, x != "")` : fieldSchema.type === 'boolean' ? `${v} == "true"` : v})`;
      });
      expression = `${lines(name)}.map(l, l.split(" ")).map(f, {${fields.join(', ')}})`;
    } else if (schema.type === 'boolean' && keys.includes(name)) {
      expression = `${at(name)} == "true"`;
    } else if (schema.type === 'integer' && keys.includes(name)) {
      expression = `int(${at(name)})`;
    } else if (schema.type === 'object' && schema.properties) {
      const fields = Object.keys(schema.properties).filter(f => keys.includes(`${name}.${f}`));
      if (fields.length) expression = `{${fields.map(f => `${JSON.stringify(f)}: dyn(${at(`${name}.${f}`)})`).join(', ')}}`;
    }
    if (expression) entries.push(`${JSON.stringify(name)}: dyn(${expression})`);
  }
  return `{${entries.join(', ')}}`;
}

/** The objects of the native pack. */
export interface KubernetesPack {
  readonly policies: ApiObject[];
  readonly bindings: ApiObject[];
  readonly parameters: ApiObject[];
}

/** Renders the native pack: per check with CEL a param ConfigMap, a policy and its binding. */
export function renderKubernetes(view: PackView, fail: Fail): KubernetesPack {
  const out = { policies: [] as ApiObject[], bindings: [] as ApiObject[], parameters: [] as ApiObject[] };
  for (const check of CHECKS) {
    // the default-deny check reads other objects (a referential check): Gatekeeper only
    if (!check.cel) continue;
    const name = checkObjectName(check);
    const mode = view.modeOf(check.policy as ZeroTrustPolicy);
    let data: { [key: string]: string } | undefined;
    const dataOf = () => (data ??= encodeParams(check, { ...view.staticParameters(check), ...view.lazyParameters(check) }, fail));
    const p = view.place(Layer.POLICY, `Params-${check.id}`);
    out.parameters.push(new ApiObject(p.scope, p.id, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: view.engineNamespace, labels: { ...MANAGED_BY } },
      data: Lazy.any({ produce: () => dataOf() }),
    }));
    const t = view.place(Layer.POLICY_TEMPLATES, `ValidatingAdmissionPolicy-${check.id}`);
    const policy = new ApiObject(t.scope, t.id, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name, labels: { ...MANAGED_BY }, annotations: { description: check.description } },
      spec: Lazy.any({
        produce: () => ({
          // an error (a missing ConfigMap, a CEL runtime error) rejects rather than admits
          failurePolicy: 'Fail',
          paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
          matchConstraints: matchConstraintsOf(check, view.systemNamespaces),
          ...celSpecOf(check, decodeParamsCel(check, Object.keys(dataOf()))),
        }),
      }),
    });
    out.policies.push(policy);
    const b = view.place(Layer.POLICY, `ValidatingAdmissionPolicyBinding-${check.id}`);
    const binding = new ApiObject(b.scope, b.id, {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name, labels: { ...MANAGED_BY } },
      spec: {
        policyName: name,
        // without its ConfigMap the policy denies: parameters are never silently dropped
        paramRef: { name, namespace: view.engineNamespace, parameterNotFoundAction: 'Deny' },
        validationActions: validationActionsOf(mode),
      },
    });
    binding.addDependency(policy);
    out.bindings.push(binding);
  }
  return out;
}

import { isObject } from './_strict';

/** @internal */
export const GATEKEEPER_CONSTRAINT_VERSIONS = ['v1', 'v1beta1', 'v1alpha1'];
const GATEKEEPER_NAMESPACE_GLOB = { type: 'string', pattern: '^\\*?[-:a-z0-9]*\\*?$' };
const LABEL_SELECTOR = {
  type: 'object',
  additionalProperties: false,
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string' } },
    matchExpressions: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'operator'],
        properties: {
          key: { type: 'string' },
          operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};

/**
 * The constraint fields Gatekeeper 3.23 generates for every constraint kind (website docs
 * "howto", "enforcement-points"); `enforcementAction` values are those its webhook accepts.
 */
/** @internal */
export const GATEKEEPER_CONSTRAINT_SCHEMA: any = {
  type: 'object',
  additionalProperties: false,
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enforcementAction: { type: 'string', enum: ['deny', 'dryrun', 'warn', 'scoped'] },
        scopedEnforcementActions: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              action: { type: 'string', enum: ['deny', 'dryrun', 'warn'] },
              enforcementPoints: { type: 'array', items: { type: 'object', additionalProperties: false, properties: { name: { type: 'string' } } } },
            },
          },
        },
        match: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kinds: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                properties: { apiGroups: { type: 'array', items: { type: 'string' } }, kinds: { type: 'array', items: { type: 'string' } } },
              },
            },
            scope: { type: 'string', enum: ['*', 'Cluster', 'Namespaced'] },
            namespaces: { type: 'array', items: GATEKEEPER_NAMESPACE_GLOB },
            excludedNamespaces: { type: 'array', items: GATEKEEPER_NAMESPACE_GLOB },
            labelSelector: LABEL_SELECTOR,
            namespaceSelector: LABEL_SELECTOR,
            name: { type: 'string' },
            source: { type: 'string', enum: ['All', 'Generated', 'Original'] },
          },
        },
        parameters: { type: 'object' },
      },
    },
  },
};

/**
 * `kind -> parameters openAPIV3Schema` of the ConstraintTemplates in a set of objects: pass it to
 * `validateManifest(obj, templates)` to validate constraints spread over several files.
 */
/** @internal */
export function constraintTemplates(objs: any[]): Map<string, any> {
  const templates = new Map<string, any>();
  for (const o of objs) {
    if (isObject(o) && o.kind === 'ConstraintTemplate' && typeof o.apiVersion === 'string' && o.apiVersion.startsWith('templates.gatekeeper.sh/')) {
      const kind = o.spec?.crd?.spec?.names?.kind;
      if (typeof kind === 'string') templates.set(kind, o.spec?.crd?.spec?.validation?.openAPIV3Schema);
    }
  }
  return templates;
}


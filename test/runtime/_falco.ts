import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as yaml from 'yaml';
import { resolveSharedDir } from '../support/schemas';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const draft06 = require('ajv/dist/refs/json-schema-draft-06.json');

let validator: ReturnType<Ajv['compile']> | undefined;

/** Validates a rules file (YAML text) against Falco's own rules schema; returns the errors. */
export function falcoSchemaErrors(text: string): string[] {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addMetaSchema(draft06);
    validator = ajv.compile(JSON.parse(fs.readFileSync(path.join(resolveSharedDir(), 'falco', 'rule-schema.json'), 'utf8')));
  }
  const data = yaml.parse(text);
  return validator(data) ? [] : (validator.errors ?? []).map(e => `${e.instancePath} ${e.message}`);
}

/** The stable falco-rules 5.1.0 file, parsed. */
export function stableRules(): any[] {
  return yaml.parse(fs.readFileSync(path.join(resolveSharedDir(), 'falco', 'falco_rules-5.1.0.yaml'), 'utf8'));
}

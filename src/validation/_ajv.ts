import * as net from 'net';
import * as path from 'path';
import type Ajv from 'ajv';
import type { Format, Options } from 'ajv';

/**
 * Ajv 8, the JSON Schema validator behind `SchemaValidator`. It is not bundled (it would add
 * 2.9 MB to the package): it is required from this package's own dependencies, else from the
 * cdk8s-cli that runs the validation plugin (cdk8s-cli 2.x depends on ajv 8), else from the
 * current folder. Another major version (ajv 6 comes with older eslint) is skipped.
 *
 * @internal
 */
export function loadAjv(): typeof Ajv {
  const tried: string[] = [];
  const bases = [__dirname, process.cwd(), require.main?.filename].filter((b): b is string => typeof b === 'string');
  for (const base of bases) {
    for (const spec of ['ajv/package.json', 'cdk8s-cli/node_modules/ajv/package.json']) {
      let pkgFile: string;
      try {
        pkgFile = require.resolve(spec, { paths: [base] });
      } catch {
        continue;
      }
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const version: string = require(pkgFile).version;
      tried.push(`${pkgFile} (${version})`);
      if (version.startsWith('8.')) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(path.dirname(pkgFile));
        return mod.default ?? mod;
      }
    }
  }
  throw new Error('cdk8s-zero-trust schema validation needs ajv 8 (cdk8s-cli 2.x depends on it): '
    + `${tried.length ? `found only ${tried.join(', ')}` : 'none found'}; install it with \'npm install --save-dev ajv@8\'`);
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_LIMIT = 2 ** 63;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAC = /^(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/;
const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?)*$/;

function isCidr(s: string): boolean {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m) return false;
  const family = net.isIP(m[1]);
  const bits = Number(m[2]);
  return (family === 4 && bits <= 32) || (family === 6 && bits <= 128);
}

const ALWAYS: Format = () => true;

/**
 * The formats Kubernetes schemas use. Numeric formats check the range; string formats that
 * Kubernetes checks are checked; the rest are accepted (Kubernetes ignores unknown formats, and so
 * does this harness).
 */
const FORMATS: Record<string, Format> = {
  'int32': { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX },
  'int64': { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -INT64_LIMIT && n < INT64_LIMIT },
  'double': { type: 'number', validate: () => true },
  'float': { type: 'number', validate: () => true },
  'int-or-string': ALWAYS, // a string is always fine; integers are not checked by string formats
  'byte': BASE64,
  'date-time': RFC3339,
  'datetime': RFC3339,
  'date': DATE,
  'ipv4': (s: string) => net.isIPv4(s),
  'ipv6': (s: string) => net.isIPv6(s),
  'cidr': isCidr,
  'uuid': UUID,
  'mac': MAC,
  'hostname': HOSTNAME,
  'idn-hostname': ALWAYS,
  'uri': ALWAYS,
  'email': ALWAYS,
  'password': ALWAYS,
  'duration': ALWAYS,
  'quantity': ALWAYS,
};

/**
 * CRD patterns are Go (RE2) regular expressions. Translate the few constructs JavaScript lacks:
 * `\pL` / `\PC` (one-letter Unicode classes) and leading inline flags such as `(?i)`.
 */
function goRegExp(pattern: string, flags: string): RegExp {
  let p = pattern;
  let f = flags;
  const inline = /^(\^?)\(\?([imsU]+)\)/.exec(p);
  if (inline) {
    p = inline[1] + p.slice(inline[0].length);
    for (const c of inline[2]) if ('ims'.includes(c) && !f.includes(c)) f += c;
  }
  p = p.replace(/(^|[^\\])\\([pP])([A-Za-z])/g, '$1\\$2{$3}').replace(/\\z/g, '$').replace(/\\A/g, '^');
  return new RegExp(p, f);
}
goRegExp.code = 'goRegExp';

/** @internal */
export function newAjv(): Ajv {
  const AjvClass = loadAjv();
  const options: Options = {
    strict: false, // x-kubernetes-* and other non-JSON-Schema keywords
    allErrors: true,
    verbose: true, // gives the offending data in errors
    validateSchema: false, // the inputs are pinned; skip the meta-schema pass on 1 MB documents
    logger: false,
    formats: FORMATS,
    // Measured: not inlining $refs and skipping the code optimiser halves cold compile time
    // (a Deployment: ~1.2 s -> ~0.5 s for both k8s versions); warm validation is unchanged.
    inlineRefs: false,
    code: { regExp: goRegExp, optimize: false },
  };
  return new AjvClass(options);
}


import { ApiObject, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import * as telemetry from '../imports/istio-telemetry';
import { CelSyntaxError, checkCelSyntax } from '../intent/_cel-syntax';
import { guardProps } from '../intent/_guards';
import { checkDns1123Label, invalid } from '../intent/_validation';
import { IntentGraph, Layer } from '../intent/intent-graph';
import { checkOutputPath, OutputFile } from '../intent/output-file';

/**
 * Which side of a connection writes an access log entry.
 */
export enum AccessLogMode {
  /** The server side (the callee's proxy): where authorization is decided and the caller's certificate is seen. */
  SERVER = 'SERVER',
  /** The client side (the caller's proxy). */
  CLIENT = 'CLIENT',
  /** Both sides (twice the volume). */
  CLIENT_AND_SERVER = 'CLIENT_AND_SERVER',
}

/**
 * Properties of MeshAccessLogging.
 */
export interface MeshAccessLoggingProps {
  /**
   * The Istio root namespace (meshConfig.rootNamespace): a Telemetry there without selector
   * applies to the whole mesh.
   *
   * @default 'istio-system'
   */
  readonly rootNamespace?: string;
  /**
   * The name of the extension provider declared in meshConfig.
   *
   * @default 'zero-trust-json-access-log'
   */
  readonly providerName?: string;
  /**
   * Which side logs.
   *
   * @default AccessLogMode.SERVER
   */
  readonly mode?: AccessLogMode;
  /**
   * A CEL filter: only matching requests are logged (for example `response.code >= 400`).
   *
   * @default - every request and connection
   */
  readonly filter?: string;
  /**
   * Where the meshConfig Helm values (istiod chart) are written.
   *
   * @default 'istio/mesh-config-access-log.yaml'
   */
  readonly meshConfigPath?: string;
}

/**
 * The structured access log record: who (the caller's certificate URI SAN, its SPIFFE ID), what
 * (method, path, authority, protocol), why (response code, Envoy response flags, response code
 * details such as `rbac_access_denied_matched_policy[none]`, connection termination details)
 * and from where (the downstream peer address), plus timing and correlation. Envoy command
 * operators.
 */
const LOG_LABELS: { [key: string]: string } = {
  start_time: '%START_TIME%',
  source_principal: '%DOWNSTREAM_PEER_URI_SAN%',
  source_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  destination_principal: '%DOWNSTREAM_LOCAL_URI_SAN%',
  destination_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  authority: '%REQ(:AUTHORITY)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  duration_ms: '%DURATION%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  request_id: '%REQ(X-REQUEST-ID)%',
  user_agent: '%REQ(USER-AGENT)%',
};

/**
 * Defines mesh-wide structured access logging: an Istio `Telemetry` (telemetry.istio.io/v1)
 * named `mesh-default` in the root namespace, without selector, that enables the access log
 * provider `providerName`.
 *
 * The provider is an `envoyFileAccessLog` extension provider writing JSON to the proxies'
 * stdout; it must be declared in Istio's meshConfig, which is not a Kubernetes object this
 * library owns: the istiod Helm values that declare it are written to `meshConfigPath` with
 * `OutputFile.synthAll()` (merge `meshConfig.extensionProviders` into your Istio install;
 * with `istioctl` put the same list under `spec.meshConfig`). Without the provider Istio
 * ignores the Telemetry (istiod logs "provider not found").
 *
 * Each record says who called (`source_principal`, the caller's SPIFFE ID), what (`method`,
 * `path`, `authority`), why it was answered so (`response_code`, `response_flags`,
 * `response_code_details`, which names the denying RBAC policy) and from where
 * (`source_address`).
 */
export class MeshAccessLogging extends Construct {
  /** The Telemetry object. */
  public readonly telemetry: ApiObject;
  /** The extension provider name. */
  public readonly providerName: string;
  /** The meshConfig values file. */
  public readonly meshConfig: OutputFile;

  public constructor(scope: Construct, id: string, props: MeshAccessLoggingProps = {}) {
    super(scope, id);
    guardProps(this, 'MeshAccessLogging', props);
    const rootNamespace = checkDns1123Label(this, 'rootNamespace', props.rootNamespace ?? 'istio-system');
    this.providerName = props.providerName ?? 'zero-trust-json-access-log';
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(this.providerName)) {
      invalid(this, 'providerName', this.providerName, 'must be lower-case letters, digits, \'-\' or \'.\'');
    }
    const mode = props.mode ?? AccessLogMode.SERVER;
    if (!Object.values(AccessLogMode).includes(mode)) {
      invalid(this, 'mode', mode, `must be one of ${Object.values(AccessLogMode).join(', ')}`);
    }
    if (props.filter !== undefined) {
      let problem: string | undefined;
      try {
        if (typeof props.filter !== 'string') throw new CelSyntaxError(`it is ${typeof props.filter}, not a string`);
        checkCelSyntax(props.filter);
      } catch (e) {
        if (!(e instanceof CelSyntaxError)) throw e;
        problem = e.message;
      }
      if (problem !== undefined) {
        invalid(this, 'filter', props.filter, `must be a CEL expression (Istio refuses the Telemetry otherwise): ${problem}`, 'for example \'response.code >= 400\'');
      }
    }
    const graph = IntentGraph.of(this);
    const at = graph._placement(Layer.MONITORING, this, `${rootNamespace}-access-logging`, 'Telemetry');
    this.telemetry = new telemetry.Telemetry(at.scope, at.id, {
      metadata: { name: 'mesh-default', namespace: rootNamespace, labels: { 'app.kubernetes.io/managed-by': 'cdk8s-zero-trust' } },
      spec: {
        accessLogging: [{
          providers: [{ name: this.providerName }],
          match: { mode: mode as string as telemetry.TelemetrySpecAccessLoggingMatchMode },
          ...(props.filter ? { filter: { expression: props.filter } } : {}),
        }],
      },
    });
    this.meshConfig = new MeshConfigValues(this, 'MeshConfig', checkOutputPath(this, 'meshConfigPath', props.meshConfigPath ?? 'istio/mesh-config-access-log.yaml'), this.providerName);
  }

  /** The JSON access log record's fields and the Envoy command operator of each. */
  public static get logFormat(): { [key: string]: string } {
    return { ...LOG_LABELS };
  }
}

class MeshConfigValues extends OutputFile {
  private readonly providerName: string;

  public constructor(scope: Construct, id: string, path: string, providerName: string) {
    super(scope, id, { path });
    this.providerName = providerName;
  }

  public renderContents(): string {
    return [
      '# istiod Helm chart values (istio/istiod 1.30): declare the access log provider the',
      '# mesh-default Telemetry enables. Merge into your values (a list replaces, it does not merge):',
      '#   helm upgrade istiod istio/istiod -n istio-system --reuse-values -f mesh-config-access-log.yaml',
      '# With istioctl/IstioOperator put the extensionProviders list under spec.meshConfig.',
      '# Generated by cdk8s-zero-trust; do not edit.',
      Yaml.stringify({
        meshConfig: {
          extensionProviders: [{
            name: this.providerName,
            envoyFileAccessLog: { path: '/dev/stdout', logFormat: { labels: { ...LOG_LABELS } } },
          }],
        },
      }),
    ].join('\n');
  }
}

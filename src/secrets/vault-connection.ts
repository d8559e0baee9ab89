import { Construct } from 'constructs';
import { guardProps } from '../intent/_guards';
import { checkDns1123Label, checkLabels, checkPort, invalid } from '../intent/_validation';

/**
 * Properties of a VaultConnection.
 */
export interface VaultConnectionProps {
  /**
   * The Vault address the agents, the CSI provider and External Secrets call, with scheme and
   * port, for example `https://vault.vault.svc:8200`. It must be `https://`: Vault tokens and
   * secrets cross the network in every request, and inside an Istio mesh the traffic to a Vault
   * outside the mesh is not protected by mTLS.
   */
  readonly address: string;

  /**
   * Allows an `http://` address. Only for a Vault that is itself in the mesh with STRICT mTLS,
   * or for development.
   *
   * @default false
   */
  readonly allowInsecureHttp?: boolean;

  /**
   * The Kubernetes namespace the Vault server pods run in: workloads get an egress
   * NetworkPolicy to exactly these pods.
   *
   * @default 'vault'
   */
  readonly namespace?: string;

  /**
   * Labels of the Vault server pods.
   *
   * @default { 'app.kubernetes.io/name': 'vault', component: 'server' } (the Vault Helm chart)
   */
  readonly podLabels?: { [key: string]: string };

  /**
   * The port of the Vault server pods (the container port the NetworkPolicy opens).
   *
   * @default - the port of `address`, or 8200
   */
  readonly port?: number;

  /**
   * The mount path of Vault's Kubernetes auth method.
   *
   * @default 'auth/kubernetes'
   */
  readonly authPath?: string;

  /**
   * The audience of the ServiceAccount tokens workloads log in with. Every generated Vault role
   * requires it, so a token issued for the Kubernetes API (or any other audience) cannot be
   * replayed against Vault.
   *
   * @default 'vault'
   */
  readonly audience?: string;

  /**
   * The name of a Kubernetes Secret, in each workload's namespace, holding the CA certificate
   * that signed Vault's server certificate (only the public certificate: it is not a secret
   * value). The agent injector mounts it at `/vault/tls`.
   *
   * @default - the agent trusts the system CAs of its image
   */
  readonly caCertSecret?: string;

  /**
   * The key of the CA certificate in `caCertSecret`.
   *
   * @default 'ca.crt'
   */
  readonly caCertKey?: string;

  /**
   * The server name to verify Vault's certificate against (SNI).
   *
   * @default - the host of `address`
   */
  readonly tlsServerName?: string;

  /**
   * The Vault agent image the injector runs in the pods (annotation
   * `vault.hashicorp.com/agent-image`). Pinned here rather than left to the injector's default, so
   * that admission policies can allow exactly this image and the agent does not change version
   * with an injector upgrade.
   *
   * @default 'hashicorp/vault:1.20.4'
   */
  readonly agentImage?: string;
}

const AUTH_PATH = /^auth\/[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
/** One host: a DNS name, an IPv4 address or a bracketed IPv6 address (the URL parser lower-cases it). */
const HOST = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*|\[[0-9a-f:.]+\])$/;

/**
 * Where Vault runs and how workloads reach and authenticate to it: one per Vault cluster,
 * shared by every VaultInjectedDeployment, VaultCsiSecrets and VaultExternalSecrets using it.
 *
 * It synthesizes nothing itself.
 *
 * @example
 * const vault = new VaultConnection(app, 'Vault', { address: 'https://vault.vault.svc:8200', caCertSecret: 'vault-ca' });
 */
export class VaultConnection extends Construct {
  /** The Vault address (`https://...`). */
  public readonly address: string;
  /** The Kubernetes namespace of the Vault server pods. */
  public readonly namespace: string;
  /** Labels of the Vault server pods. */
  public readonly podLabels: { [key: string]: string };
  /** The container port of the Vault server pods. */
  public readonly port: number;
  /** The Kubernetes auth mount path, for example `auth/kubernetes`. */
  public readonly authPath: string;
  /** The token audience every role requires. */
  public readonly audience: string;
  /** The Secret with Vault's CA certificate, if any. */
  public readonly caCertSecret?: string;
  /** The key of the CA certificate in `caCertSecret`. */
  public readonly caCertKey: string;
  /** The TLS server name, if set. */
  public readonly tlsServerName?: string;
  /** The port clients dial: the port of `address`, or 443 / 80 by scheme. */
  public readonly addressPort: number;
  /** The Vault agent image the injector runs. */
  public readonly agentImage: string;

  public constructor(scope: Construct, id: string, props: VaultConnectionProps) {
    super(scope, id);
    guardProps(this, 'VaultConnection', props);
    if (!props || typeof props !== 'object') {
      invalid(this, 'props', props, 'must be an object with at least address');
    }
    let url: URL | undefined;
    try {
      // ASCII only: the URL parser would turn a look-alike Unicode host into another (punycode) host
      url = typeof props.address === 'string' && /^[\x21-\x7e]+$/.test(props.address) ? new URL(props.address) : undefined;
    } catch {
      url = undefined;
    }
    if (!url || !['https:', 'http:'].includes(url.protocol) || url.pathname !== '/' || url.search || url.hash || url.username || url.password || !HOST.test(url.hostname)) {
      invalid(this, 'address', props.address, 'must be a Vault address with scheme, one host (a DNS name or an IP address: no wildcard) and optional port, without path or credentials',
        'for example \'https://vault.vault.svc:8200\'');
    }
    if (url.protocol === 'http:' && props.allowInsecureHttp !== true) {
      invalid(this, 'address', props.address,
        'must use https://: tokens and secrets would cross the network in plaintext (inside an Istio mesh, traffic to a Vault outside the mesh is not protected by mTLS)',
        'enable TLS on Vault (the Helm chart\'s global.tlsDisable: false) and use https://, or set allowInsecureHttp: true for a Vault inside the mesh with STRICT mTLS');
    }
    this.address = `${url.protocol}//${url.host}`;
    this.addressPort = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    this.namespace = checkDns1123Label(this, 'namespace', props.namespace ?? 'vault');
    const podLabels = props.podLabels ?? { 'app.kubernetes.io/name': 'vault', 'component': 'server' };
    if (typeof podLabels !== 'object' || Object.keys(podLabels).length === 0) {
      invalid(this, 'podLabels', podLabels, 'must select the Vault server pods with at least one label', 'an empty selector would open egress to every pod of the namespace');
    }
    this.podLabels = checkLabels(this, 'podLabels', podLabels);
    this.port = checkPort(this, 'port', props.port ?? (url.port ? Number(url.port) : 8200));
    this.authPath = props.authPath ?? 'auth/kubernetes';
    if (!AUTH_PATH.test(this.authPath)) {
      invalid(this, 'authPath', this.authPath, 'must be the mount path of a Vault auth method, starting with \'auth/\' and without a trailing \'/\'', 'for example \'auth/kubernetes\'');
    }
    this.audience = props.audience ?? 'vault';
    if (typeof this.audience !== 'string' || this.audience.trim() === '' || /[\s*]/.test(this.audience)) {
      invalid(this, 'audience', props.audience, 'must be a non-empty token audience without spaces or \'*\'', 'for example \'vault\'');
    }
    if (props.caCertSecret !== undefined) {
      checkDns1123Label(this, 'caCertSecret', props.caCertSecret);
    }
    this.caCertSecret = props.caCertSecret;
    this.caCertKey = props.caCertKey ?? 'ca.crt';
    if (!SECRET_KEY.test(this.caCertKey)) {
      invalid(this, 'caCertKey', this.caCertKey, 'must be a Secret key: letters, digits, \'-\', \'_\' or \'.\'');
    }
    if (props.tlsServerName !== undefined && !/^[A-Za-z0-9.-]+$/.test(props.tlsServerName)) {
      invalid(this, 'tlsServerName', props.tlsServerName, 'must be a DNS name');
    }
    this.tlsServerName = props.tlsServerName;
    this.agentImage = props.agentImage ?? 'hashicorp/vault:1.20.4';
    if (!/^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/.test(this.agentImage) || /:latest$/.test(this.agentImage)) {
      invalid(this, 'agentImage', this.agentImage, 'must be an image reference with a version tag (not latest) or a sha256 digest', 'for example \'hashicorp/vault:1.20.4\'');
    }
  }

  /**
   * The fully qualified in-cluster host name of the Vault Service, when `address` names one
   * (`<service>.<namespace>.svc[.cluster.local]`).
   */
  public get serviceHost(): string | undefined {
    const host = this.address.replace(/^https?:\/\//, '').replace(/:\d+$/, '');
    if (host.endsWith('.svc.cluster.local')) return host;
    if (host.endsWith('.svc')) return `${host}.cluster.local`;
    return undefined;
  }

  /** Whether the address uses TLS. */
  public get isTls(): boolean {
    return this.address.startsWith('https://');
  }

  /** The auth method's mount name without the `auth/` prefix, for example `kubernetes`. */
  public get authMount(): string {
    return this.authPath.slice('auth/'.length);
  }
}

import { Size } from 'cdk8s';

/**
 * A writable directory of the application container (an `emptyDir` volume), for what the image
 * writes at run time under a read-only root filesystem: sockets, lock and PID files, `/tmp`.
 */
export interface WritableDirectory {
  /** The absolute path in the container, for example `/tmp` or `/var/run/postgresql`. */
  readonly mountPath: string;
  /**
   * The most the directory may hold (the kubelet evicts the pod beyond it).
   *
   * @default Size.mebibytes(64)
   */
  readonly sizeLimit?: Size;
}

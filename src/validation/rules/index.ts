import { PostureRule } from './_rule';
import { rule as authorizationDenyTrap } from './authorization-deny-trap';
import { rule as dedicatedServiceAccount } from './dedicated-service-account';
import { rule as dropAllCapabilities } from './drop-all-capabilities';
import { rule as hostNamespaces } from './host-namespaces';
import { rule as hostPathVolumes } from './host-path-volumes';
import { rule as imagePinned } from './image-pinned';
import { rule as namespaceDefaultDeny } from './namespace-default-deny';
import { rule as noSecretValues } from './no-secret-values';
import { rule as privilegeEscalation } from './privilege-escalation';
import { rule as privilegedContainers } from './privileged-containers';
import { rule as readOnlyRootFilesystem } from './read-only-root-filesystem';
import { rule as resourceLimits } from './resource-limits';
import { rule as runAsNonRoot } from './run-as-non-root';
import { rule as seccompProfile } from './seccomp-profile';
import { rule as serviceAccountToken } from './service-account-token';
import { rule as strictMtls } from './strict-mtls';

/** The zero-trust posture rules, by id. @internal */
export const POSTURE_RULES: readonly PostureRule[] = [
  privilegedContainers, privilegeEscalation, runAsNonRoot, dropAllCapabilities, readOnlyRootFilesystem,
  seccompProfile, resourceLimits, hostNamespaces, hostPathVolumes, dedicatedServiceAccount,
  serviceAccountToken, imagePinned, noSecretValues, strictMtls, authorizationDenyTrap, namespaceDefaultDeny,
];

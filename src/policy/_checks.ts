/**
 * Every check of the zero-trust policy pack, in the order the engines render them. Each check is
 * one source (`_check.ts` describes the shape) rendered to every engine.
 */
import { CheckDefinition } from './_check';
import { CONTAINER_CHECKS } from './_checks-containers';
import { HOST_CHECKS } from './_checks-host';
import { IDENTITY_CHECKS } from './_checks-identity';
import { IMAGE_CHECKS } from './_checks-images';
import { POD_SECURITY_CHECKS } from './_checks-pod-security';


const ALL = [...CONTAINER_CHECKS, ...IMAGE_CHECKS, ...HOST_CHECKS, ...IDENTITY_CHECKS, ...POD_SECURITY_CHECKS];
const ORDER = ['privileged-containers', 'privilege-escalation', 'run-as-non-root', 'required-resources', 'allowed-registries', 'disallowed-tags', 'host-pid-ipc', 'host-network', 'host-filesystem', 'read-only-root-filesystem', 'capabilities', 'seccomp-profile', 'dedicated-service-account', 'service-account-token', 'strict-mtls', 'default-deny-authorization', 'pod-security-labels'];

/** The checks, in rendering order. */
export const CHECKS: CheckDefinition[] = ORDER.map(id => ALL.find(c => c.id === id)!);

/**
 * Every check of the zero-trust policy pack, in the order the engines render them. Each check is
 * one source (`_check.ts` describes the shape) rendered to every engine.
 */
import { CheckDefinition } from './_check';
import { CONTAINER_CHECKS } from './_checks-containers';
import { HOST_CHECKS } from './_checks-host';
import { IDENTITY_CHECKS } from './_checks-identity';
import { IMAGE_CHECKS } from './_checks-images';


const ALL = [...CONTAINER_CHECKS, ...IMAGE_CHECKS, ...HOST_CHECKS, ...IDENTITY_CHECKS];
const ORDER = ['privileged-containers', 'privilege-escalation', 'run-as-non-root', 'required-resources', 'allowed-registries', 'disallowed-tags', 'host-pid-ipc', 'host-network', 'host-filesystem', 'read-only-root-filesystem', 'dedicated-service-account', 'strict-mtls', 'default-deny-authorization'];

/** The checks, in rendering order. */
export const CHECKS: CheckDefinition[] = ORDER.map(id => ALL.find(c => c.id === id)!);

/** The Docker bridge network's addressing (pure): the explicit gateway and the subnet's capacity. */
import { type Cidr, formatIpv4, parseCidr, parseIpv4 } from '../../../environments/parse/network';
import type { ServiceSpec } from '../../spec/types';

export interface DockerNetworkConfig {
  readonly subnet: string;
  readonly gateway?: string | undefined;
}

function cidrOf(subnet: string): Cidr {
  const cidr = parseCidr(subnet);
  if (typeof cidr === 'string') throw new Error(cidr);
  return cidr;
}

/** The gateway written into the IPAM block: the configured one, else the subnet's first host address. */
export function gatewayOf(network: DockerNetworkConfig): string {
  return network.gateway ?? formatIpv4(cidrOf(network.subnet).network + 1);
}

/** Addresses Docker can hand to containers: all but the network, broadcast and gateway addresses. */
export function containerAddresses(network: DockerNetworkConfig): number {
  const cidr = cidrOf(network.subnet);
  const gatewayInside = parseIpv4(gatewayOf(network)) !== undefined;
  return 2 ** (32 - cidr.prefix) - 2 - (gatewayInside ? 1 : 0);
}

/** Containers an environment runs on the network: every main container, sidecar and one-shot job. */
export function containerCount(specs: readonly ServiceSpec[]): number {
  return specs.reduce((n, s) => n + s.containers.length + s.jobs.length, 0);
}

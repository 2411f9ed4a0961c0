/** Set by a host agent for the actor processes it starts: the address they bind every port to. */
export const AGENT_HOST_ENV = 'SOLSTICE_AGENT_HOST';

/** The address this actor process must bind to, when a host agent started it. */
export function agentHost(): string | undefined {
  return process.env[AGENT_HOST_ENV] || undefined;
}

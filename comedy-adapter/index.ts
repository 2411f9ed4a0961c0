/**
 * The Comedy adapter: the one place that knows Comedy (and its Bluebird).
 * The actors and the runner see only the protocol's links
 * (protocol/actor-link.ts) and these functions; another transport would
 * replace this folder and nothing else.
 */
export { actorContext, type ComedySelf } from './actor-context.js';
export { startActorSystem, attachToActorSystem, type ActorSystem } from './actor-system.js';
export type { ActorSystem as ComedyActorSystem } from 'comedy';
export { actorModulePath } from './actor-modules.js';
export { HostAgent, type HostAgentOptions } from './host-agent.js';

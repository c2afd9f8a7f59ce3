/**
 * How each runtime is made, loaded on first use: dockerode and its protocol stacks take
 * ~300 ms to load, which a command refused for bad input, or a lab on local processes, need
 * not pay. select.ts (choosing one) and every.ts (asking them all) make runtimes only here.
 */
export const RUNTIME_LOADERS = {
  docker: async () => (await import('./docker/index.js')).createDockerRuntime(),
  local: async () => (await import('./local/index.js')).createLocalRuntime(),
  swarm: async () => (await import('./swarm/index.js')).createSwarmRuntime(),
};

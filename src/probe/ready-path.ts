/**
 * The path readiness asks for, in one place for every runtime and for the probe agent (which
 * runs alone in the docker runtime's probe container, so it lives here, below the runtimes).
 * A path no lab routes: every app answers 404 at once — GET / would sleep 5 s on ep06's slow
 * apps — and through a proxy the 404 still proves that a backend server answered.
 */
export const READY_PATH = '/haplab-ready';

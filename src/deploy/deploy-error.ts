/** A deploy that cannot start or did not succeed: one line for the user, exit 1. */
export class DeployError extends Error {}

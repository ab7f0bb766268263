/**
 * What the step bundle has in place of ssh2's optional native module `cpu-features`
 * (constructs/step-bundle.ts): requiring it throws, as where it was never compiled, and ssh2
 * goes on without it.
 */
throw new Error('cpu-features is not in the dm-cdktf step bundle');

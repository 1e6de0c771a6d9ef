#!/usr/local/bin/node
// Entry point installed in the image as /usr/local/bin/rcache-server and
// /usr/local/bin/rcache-operator (image/build.sh writes one copy per name with
// the TARGET line filled in). The absolute shebang lets the kernel start it with
// no shell and no /usr/bin/env in the image.
const target = '__TARGET__';

// Modules that decide "am I the main module?" from process.argv[1] must see
// their own path, not this launcher's.
process.argv[1] = target;

// As PID 1 in a container a process gets no default action for SIGTERM/SIGINT:
// without a handler `docker stop` would wait for its timeout and SIGKILL. The
// program installs its own graceful handler; this one only acts when it did not.
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.once(sig, () => {
    if (process.listenerCount(sig) === 0) process.exit(128 + (sig === 'SIGTERM' ? 15 : 2));
  });
}

import(target).catch((err) => {
  console.error(err);
  process.exit(1);
});

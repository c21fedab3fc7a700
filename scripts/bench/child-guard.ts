/**
 * Preloaded (`node --import`) into every server the bench starts: if the bench dies without
 * cleaning up (SIGKILL, crash), the server notices its parent is gone and exits too.
 */
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 1000).unref();

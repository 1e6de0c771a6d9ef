/*
 * The pod sandbox's init process for the local cluster's pause image.
 * It holds the pod's namespaces open, so it only has to wait; as PID 1 of the
 * pod it also reaps orphans re-parented to it (when the pod shares its PID
 * namespace) and exits on SIGTERM/SIGINT, which as PID 1 it would otherwise
 * ignore.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("rcache-pause 1");
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "warning: pause should be PID 1\n");

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  if (sigaction(SIGINT, &sa, NULL) < 0 || sigaction(SIGTERM, &sa, NULL) < 0) return 1;
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGCHLD, &sa, NULL) < 0) return 2;

  for (;;) pause();
}

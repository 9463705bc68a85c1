/* Minimal pod sandbox ("pause") process: sleeps, exits on INT/TERM, reaps children. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void sigdown(int s) { (void)s; exit(0); }
static void sigreap(int s) { (void)s; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction d = {.sa_handler = sigdown}, r = {.sa_handler = sigreap, .sa_flags = SA_NOCLDSTOP};
  sigaction(SIGINT, &d, NULL);
  sigaction(SIGTERM, &d, NULL);
  sigaction(SIGCHLD, &r, NULL);
  for (;;) pause();
}

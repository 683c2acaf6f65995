/*
 * queuectl-launcher: starts a worker's job commands on its behalf.
 *
 * A worker is a Node.js process of 50 MB or more; every job it spawns itself is a fork(2) of all
 * of that (page tables copied, then a copy-on-write fault on each page the worker writes before
 * the child has exec'd and after). This small process starts each command with posix_spawn(3),
 * which on Linux does not copy the address space at all, and forwards the command's output and
 * exit status to the worker over its stdin/stdout.
 *
 * Each command runs as `/bin/sh -c COMMAND` in the given directory and environment, in a session
 * of its own (so the worker can signal its whole process group), with stdin on /dev/null and
 * stdout and stderr on one pipe read here; all signals at their default action and none blocked,
 * as child_process.spawn leaves them. The worker signals the group itself (it is told the pid).
 *
 * Frames, both ways: u32 length (little-endian, of what follows), u8 type, u32 id, payload.
 *   worker -> launcher
 *     'R' run:    cwd NUL command NUL (env-entry NUL)* NUL
 *     'C' close:  stop reading the command's output (what it left behind may hold the pipe)
 *   launcher -> worker
 *     'H' hello (id 0): the protocol name
 *     'S' started: i32 pid, then its start time (field 22 of /proc/PID/stat) as text, or nothing
 *     'E' not started: i32 errno
 *     'O' output bytes            'Z' output over (end of file on the pipe)
 *     'X' exited: i32 wait status
 * The launcher exits when its stdin ends (the worker is gone); commands still running carry on,
 * as they would had the worker spawned them itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROTOCOL "queuectl-launcher 1"

struct command {
  uint32_t id;
  pid_t pid;  /* 0 once reaped */
  int fd;     /* -1 once closed */
};

static struct command *commands;
static size_t ncommands, capcommands;
static int sigchld_pipe[2];

static void die(const char *what) {
  fprintf(stderr, "queuectl-launcher: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_all(const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(1, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(0); /* the worker is gone */
    }
    p += n;
    len -= (size_t)n;
  }
}

static void put_u32(unsigned char *p, uint32_t v) {
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
  p[2] = (v >> 16) & 0xff;
  p[3] = (v >> 24) & 0xff;
}

static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void send_frame(char type, uint32_t id, const void *payload, size_t len) {
  unsigned char head[9];
  put_u32(head, (uint32_t)(5 + len));
  head[4] = (unsigned char)type;
  put_u32(head + 5, id);
  write_all(head, sizeof head);
  if (len > 0) write_all(payload, len);
}

static void send_i32(char type, uint32_t id, int32_t v) {
  unsigned char b[4];
  put_u32(b, (uint32_t)v);
  send_frame(type, id, b, 4);
}

static struct command *find(uint32_t id) {
  for (size_t i = 0; i < ncommands; i++)
    if (commands[i].id == id) return &commands[i];
  return NULL;
}

static void forget_if_done(struct command *c) {
  if (c->pid != 0 || c->fd != -1) return;
  *c = commands[--ncommands];
}

static void close_output(struct command *c) {
  if (c->fd != -1) close(c->fd);
  c->fd = -1;
  forget_if_done(c);
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t ignored = write(sigchld_pipe[1], "x", 1);
  (void)ignored;
  errno = saved;
}

static void reap(void) {
  char drain[64];
  while (read(sigchld_pipe[0], drain, sizeof drain) > 0) {
  }
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (size_t i = 0; i < ncommands; i++) {
      if (commands[i].pid != pid) continue;
      commands[i].pid = 0;
      send_i32('X', commands[i].id, status);
      forget_if_done(&commands[i]);
      break;
    }
  }
}

/* Field 22 of /proc/PID/stat (clock ticks since boot), as text; empty when it cannot be read. */
static size_t start_time(pid_t pid, char *out, size_t cap) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  /* The command name (field 2) may hold spaces and parentheses: count fields after the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2; /* field 3 */
  for (int field = 3; field < 22 && *p; field++) {
    p = strchr(p, ' ');
    if (!p) return 0;
    p++;
  }
  size_t len = strcspn(p, " ");
  if (len == 0 || len >= cap) return 0;
  memcpy(out, p, len);
  return len;
}

static void start(uint32_t id, const char *p, const char *end) {
  const char *cwd = p;
  p += strlen(p) + 1;
  const char *command = p;
  p += strlen(p) + 1;
  size_t nenv = 0;
  for (const char *q = p; q < end && *q; q += strlen(q) + 1) nenv++;
  char **env = calloc(nenv + 1, sizeof *env);
  if (!env) die("out of memory");
  for (size_t i = 0; i < nenv; i++) {
    env[i] = (char *)p;
    p += strlen(p) + 1;
  }

  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    send_i32('E', id, errno);
    free(env);
    return;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, out[1], 2);
  posix_spawn_file_actions_addchdir_np(&fa, cwd);
  posix_spawnattr_init(&attr);
  sigset_t all, none;
  /*
   * Every signal, glibc's two internal ones too (sigfillset leaves them out, and posix_spawn would
   * then leave them ignored in the command, where a fork of Node leaves them at their default).
   */
  memset(&all, 0xff, sizeof all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  char *argv[] = {"/bin/sh", "-c", (char *)command, NULL};
  pid_t pid;
  int err = posix_spawn(&pid, "/bin/sh", &fa, &attr, argv, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  free(env);
  close(out[1]);
  if (err != 0) {
    close(out[0]);
    send_i32('E', id, err);
    return;
  }
  if (ncommands == capcommands) {
    capcommands = capcommands ? capcommands * 2 : 8;
    commands = realloc(commands, capcommands * sizeof *commands);
    if (!commands) die("out of memory");
  }
  commands[ncommands++] = (struct command){.id = id, .pid = pid, .fd = out[0]};
  /* pid, then its start time: read now, while the child cannot have been reaped (it is reaped
     only by this process, later), so the worker guards its signals to the group with it. */
  char start[24];
  size_t n = start_time(pid, start, sizeof start);
  unsigned char payload[4 + sizeof start];
  put_u32(payload, (uint32_t)pid);
  memcpy(payload + 4, start, n);
  send_frame('S', id, payload, 4 + n);
}

static unsigned char *in;
static size_t inlen, incap;

/* Handles every whole frame read so far. */
static void handle_input(void) {
  size_t at = 0;
  while (inlen - at >= 4) {
    uint32_t len = get_u32(in + at);
    if (len < 5) {
      errno = EPROTO;
      die("bad frame");
    }
    if (inlen - at - 4 < len) break;
    const unsigned char *f = in + at + 4;
    char type = (char)f[0];
    uint32_t id = get_u32(f + 1);
    const char *payload = (const char *)f + 5;
    const char *end = (const char *)f + len;
    if (type == 'R') {
      if (len < 8 || end[-1] != 0 || end[-2] != 0) {
        errno = EPROTO;
        die("bad run frame");
      }
      start(id, payload, end);
    } else if (type == 'C') {
      struct command *c = find(id);
      if (c) close_output(c);
    } else {
      errno = EPROTO;
      die("unknown frame");
    }
    at += 4 + len;
  }
  memmove(in, in + at, inlen - at);
  inlen -= at;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  /*
   * It lives exactly as long as its worker (until its stdin ends): signals sent to the worker's
   * process group (a terminal's ^C, a service manager's SIGTERM) are the worker's to act on, by
   * finishing its current job, whose output and exit status still come through here.
   */
  int ignored[] = {SIGINT, SIGQUIT, SIGHUP, SIGTERM, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++) signal(ignored[i], SIG_IGN);
  if (pipe2(sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) die("pipe");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);

  send_frame('H', 0, PROTOCOL, strlen(PROTOCOL));

  static unsigned char buf[65536];
  struct pollfd *fds = NULL;
  size_t capfds = 0;
  for (;;) {
    size_t nfds = 2 + ncommands;
    if (nfds > capfds) {
      capfds = nfds * 2;
      fds = realloc(fds, capfds * sizeof *fds);
      if (!fds) die("out of memory");
    }
    fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = sigchld_pipe[0], .events = POLLIN};
    for (size_t i = 0; i < ncommands; i++) fds[2 + i] = (struct pollfd){.fd = commands[i].fd, .events = POLLIN};
    if (poll(fds, nfds, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[1].revents) reap();
    /* Output before requests: a 'C' may close (and reuse) a descriptor polled above. */
    for (size_t i = 2; i < nfds; i++) {
      if (!fds[i].revents || fds[i].fd == -1) continue;
      struct command *c = NULL;
      for (size_t j = 0; j < ncommands; j++)
        if (commands[j].fd == fds[i].fd) c = &commands[j];
      if (!c) continue;
      ssize_t n = read(c->fd, buf, sizeof buf);
      if (n > 0) {
        send_frame('O', c->id, buf, (size_t)n);
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        uint32_t id = c->id;
        close_output(c);
        send_frame('Z', id, NULL, 0);
      }
    }
    if (fds[0].revents) {
      if (inlen == incap) {
        incap = incap ? incap * 2 : 65536;
        in = realloc(in, incap);
        if (!in) die("out of memory");
      }
      ssize_t n = read(0, in + inlen, incap - inlen);
      if (n == 0) return 0; /* the worker is gone */
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return 0;
      }
      inlen += (size_t)n;
      handle_input();
    }
  }
}

/*
 * neuromake's native job launcher: the protocol of launcher-protocol.ts,
 * as the Python launcher (launcher-python.ts) speaks it with pidfds (`R
 * queue`), in C. A DAG of tiny commands spends about 50 us of the Python
 * interpreter's CPU per job on parsing and bookkeeping; this program
 * spends a few, and starts in a millisecond where Python takes 20.
 *
 * Built by `npm run build` where a C compiler is found
 * (scripts/build-launcher.js); without one the runner keeps its Perl and
 * Python launchers. Linux only: it needs pidfd_open (Linux 5.3) to wait
 * for its job and its input at once, and exits at start without it, which
 * makes the runner fall back.
 *
 *   neuromake-launcher QUICK_MS QUEUE_DEPTH FIRST_WORD_CHARS WORD_CHARS
 *                      SHELL_WORD...
 *
 * QUICK_MS: how long a job's `S` is held back; QUEUE_DEPTH: how many jobs
 * the runner queues behind a running one at most (see launcher-protocol.ts).
 * FIRST_WORD_CHARS, WORD_CHARS: the characters of a simple command's first
 * and later words; SHELL_WORDS: first words the shell must run. The runner
 * passes them from launcher-protocol.ts, so every launcher agrees.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A job sent by the runner and not started yet. */
struct waiting {
  bool queued; /* Sent with `q`: start only if the job ahead exited 0. */
  char *payload;
  size_t size;
};

/* Jobs not started yet: the next one and those the runner queues behind
   it, QUEUE_DEPTH at most (from argv). */
static struct waiting *waiting;
static size_t waiting_count, waiting_cap;

static const char *first_chars;
static const char *word_chars;
static char **shell_words;
static int quick_ms;

static void fail(const char *what) {
  fprintf(stderr, "neuromake-launcher: %s: %s\n", what, strerror(errno));
  exit(3);
}

static void *must(void *p) {
  if (p == NULL) fail("out of memory");
  return p;
}

/* For the posix_spawn family, which returns its error instead of -1. */
static void must_succeed(int error, const char *what) {
  if (error == 0) return;
  errno = error;
  fail(what);
}

/* Writes all of `text`; the runner gone (EPIPE) ends the launcher. */
static void say(const char *text, size_t size) {
  while (size > 0) {
    ssize_t n = write(1, text, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      exit(0);
    }
    text += n;
    size -= (size_t)n;
  }
}

/* What goes out in one write once a wake-up's work is done. */
static char said[8192];
static size_t said_size;

static void add_said(const char *text) {
  size_t n = strlen(text);
  if (said_size + n > sizeof said) {
    say(said, said_size);
    said_size = 0;
  }
  if (n > sizeof said) {
    say(text, n);
    return;
  }
  memcpy(said + said_size, text, n);
  said_size += n;
}

static void flush_said(void) {
  if (said_size > 0) say(said, said_size);
  said_size = 0;
}

/*
 * Adds `F <what>: <strerror>`, the line for a job that could not start,
 * whatever its length: cut short, it would lose its newline and swallow
 * the next message.
 */
static void add_failure(const char *what, const char *path, int error) {
  const char *gap = path ? " " : "";
  if (path == NULL) path = "";
  const char *why = strerror(error);
  int n = snprintf(NULL, 0, "F %s%s%s: %s\n", what, gap, path, why);
  char *line = must(malloc((size_t)n + 1));
  snprintf(line, (size_t)n + 1, "F %s%s%s: %s\n", what, gap, path, why);
  add_said(line);
  free(line);
}

static bool all_in(const char *word, size_t n, const char *chars) {
  for (size_t i = 0; i < n; i++) {
    if (strchr(chars, word[i]) == NULL) return false;
  }
  return n > 0;
}

/*
 * Splits a simple command into its words (NULL-terminated, in `words`,
 * pointing into `cmd`, which is changed); false when the shell must run it.
 */
static bool simple_words(char *cmd, char ***words) {
  size_t count = 0;
  size_t cap = 8;
  char **list = must(malloc(cap * sizeof *list));
  char *p = cmd;
  while (*p != '\0') {
    size_t n = strcspn(p, " \t");
    if (!all_in(p, n, count == 0 ? first_chars : word_chars)) break;
    if (count + 2 > cap) list = must(realloc(list, (cap *= 2) * sizeof *list));
    list[count++] = p;
    p += n;
    if (*p == '\0') break;
    *p++ = '\0';
    p += strspn(p, " \t");
    if (*p == '\0') {
      count = 0; /* Trailing blanks: not simple. */
      break;
    }
  }
  if (count == 0 || *p != '\0') {
    free(list);
    return false;
  }
  for (char **w = shell_words; *w != NULL; w++) {
    if (strcmp(*w, list[0]) == 0) {
      free(list);
      return false;
    }
  }
  list[count] = NULL;
  *words = list;
  return true;
}

/*
 * The launcher's environment with the job's NAME=value pairs on top, and
 * `pwd` (PWD=cwd, or NULL) after them.
 */
static char **job_environment(char **pairs, size_t pair_count, char *pwd) {
  size_t base = 0;
  while (environ[base] != NULL) base++;
  char **env = must(malloc((base + pair_count + 2) * sizeof *env));
  memcpy(env, environ, base * sizeof *env);
  size_t count = base;
  for (size_t i = 0; i <= pair_count; i++) {
    char *pair = i < pair_count ? pairs[i] : pwd;
    if (pair == NULL) break;
    size_t name = strcspn(pair, "=");
    size_t j = 0;
    while (j < count && strncmp(env[j], pair, name + 1) != 0) j++;
    env[j] = pair;
    if (j == count) count++;
  }
  env[count] = NULL;
  return env;
}

static int open_log(const char *log, bool truncate) {
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
  if (truncate) flags |= O_TRUNC;
  int fd = open(log, flags, 0666);
  if (fd >= 0 || errno != ENOENT) return fd;

  /* No directory yet; another launcher may be making it right now. */
  char *parent = must(strdup(log));
  for (char *slash = parent[0] ? strchr(parent + 1, '/') : NULL;
       slash != NULL; slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    if (mkdir(parent, 0777) != 0 && errno != EEXIST) break;
    *slash = '/';
  }
  free(parent);
  return open(log, flags, 0666);
}

static posix_spawnattr_t attributes;

/*
 * Starts one job from its payload: its pid, or -1 after adding its F line.
 * Fields: cwd, log, w|a, header, command, NAME=value pairs (all NUL
 * separated; the payload carries one more NUL at its end).
 */
static pid_t start(char *payload, size_t size) {
  char *fields[5];
  char *p = payload;
  char *end = payload + size;
  for (int i = 0; i < 5; i++) {
    if (p > end) {
      errno = EINVAL;
      fail("a job's payload has fewer than five fields");
    }
    fields[i] = p;
    p += strlen(p) + 1;
  }
  char *cwd = fields[0], *log = fields[1], *header = fields[3];
  char *cmd = fields[4];
  size_t pair_count = 0;
  char *pairs_at = p;
  for (char *q = p; q < end; q += strlen(q) + 1) pair_count++;
  char **pairs = must(malloc((pair_count + 1) * sizeof *pairs));
  for (size_t i = 0; i < pair_count; i++) {
    pairs[i] = pairs_at;
    pairs_at += strlen(pairs_at) + 1;
  }

  pid_t pid = -1;
  int out = open_log(log, fields[2][0] == 'w');
  if (out < 0) {
    add_failure("open", log, errno);
    free(pairs);
    return -1;
  }
  size_t header_size = strlen(header);
  if (header_size > 0 && write(out, header, header_size) < 0) {
    add_failure("write", log, errno);
    close(out);
    free(pairs);
    return -1;
  }
  if (chdir(cwd) != 0) {
    add_failure("chdir", cwd, errno);
    close(out);
    free(pairs);
    return -1;
  }

  /* These fail only for want of memory, as must() does. */
  posix_spawn_file_actions_t actions;
  const char *what = "posix_spawn_file_actions";
  must_succeed(posix_spawn_file_actions_init(&actions), what);
  must_succeed(posix_spawn_file_actions_adddup2(&actions, out, 1), what);
  must_succeed(posix_spawn_file_actions_adddup2(&actions, out, 2), what);
  must_succeed(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null",
                                                O_RDONLY, 0),
               what);

  /* A simple command runs directly, as GNU make runs it, found on PATH as
     execvp finds it, with PWD set as sh would set it; anything else, or a
     simple command whose exec fails, through sh (which reports the error
     as a shell does). */
  char *copy = must(strdup(cmd));
  char *pwd = NULL;
  char **words;
  bool simple = simple_words(copy, &words);
  if (simple) {
    pwd = must(malloc(strlen(cwd) + 5));
    strcpy(pwd, "PWD=");
    strcat(pwd, cwd);
  }
  char **env = job_environment(pairs, pair_count, pwd);
  if (simple) {
    int error =
        posix_spawnp(&pid, words[0], &actions, &attributes, words, env);
    if (error != 0) pid = -1;
    free(words);
  }
  free(copy);
  if (pid < 0) {
    char *argv[] = {"sh", "-c", cmd, NULL};
    int error = posix_spawnp(&pid, "sh", &actions, &attributes, argv, env);
    if (error != 0) {
      add_failure("spawn sh", NULL, error);
      pid = -1;
    }
  }
  free(env);
  free(pwd);
  posix_spawn_file_actions_destroy(&actions);
  free(pairs);
  close(out);
  return pid;
}

/* Reaps `pid`: adds its E line; whether it exited with 0. */
static bool reap(pid_t pid) {
  int status;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail("waitpid");
  }
  char line[64];
  if (WIFSIGNALED(status)) {
    snprintf(line, sizeof line, "E - %d\n", WTERMSIG(status));
    add_said(line);
    return false;
  }
  snprintf(line, sizeof line, "E %d -\n", WEXITSTATUS(status));
  add_said(line);
  return WEXITSTATUS(status) == 0;
}

static char *unread;
static size_t unread_size, unread_cap;

/* The running job's pid; -1 when none runs. */
static pid_t running_pid = -1;

static void parse_input(void);

/* Reads what the runner sent and parses it; false at end of input. */
static bool take_input(void) {
  bool open = true;
  while (true) {
    if (unread_cap - unread_size < 65536) {
      unread_cap = unread_cap * 2 + 65536;
      unread = must(realloc(unread, unread_cap));
    }
    ssize_t n = read(0, unread + unread_size, unread_cap - unread_size);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      fail("read");
    }
    if (n == 0) {
      open = false;
      break;
    }
    unread_size += (size_t)n;
  }
  parse_input();
  return open;
}

/*
 * Parses what was read: cancels answered, jobs queued. A job that finds
 * nothing running stops the parse, so that it starts before anything
 * sent after it counts: the runner took it for begun when the job ahead
 * succeeded, so a cancel sent meanwhile must not drop it, and it is not
 * the job a later cancel is about. The rest waits in `unread`.
 */
static void parse_input(void) {
  size_t at = 0;
  while (true) {
    char *newline = memchr(unread + at, '\n', unread_size - at);
    if (newline == NULL) break;
    size_t head = (size_t)(newline - (unread + at));
    if (head == 1 && unread[at] == 'C') {
      at += 2;
      if (waiting_count > 0) {
        waiting_count--;
        free(waiting[waiting_count].payload);
        add_said("N\n");
      }
      continue;
    }
    if (head == 0 || unread[at] < '0' || unread[at] > '9') {
      errno = EPROTO;
      fail("a job's header does not start with its size");
    }
    char *flag;
    size_t size = strtoul(unread + at, &flag, 10);
    size_t body = at + head + 1;
    if (unread_size - body < size) break;
    if (waiting_count == waiting_cap) {
      errno = EOVERFLOW;
      fail("more jobs queued than the protocol allows");
    }
    char *payload = must(malloc(size + 1));
    memcpy(payload, unread + body, size);
    payload[size] = '\0';
    waiting[waiting_count++] = (struct waiting){
        .queued = *flag == ' ' && flag[1] == 'q',
        .payload = payload,
        .size = size,
    };
    at = body + size;
    if (running_pid < 0 && waiting_count == 1) break;
  }
  memmove(unread, unread + at, unread_size - at);
  unread_size -= at;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int running_fd = -1;
static bool held; /* The running job's S line waits (until deadline). */
static char held_line[32];
static double deadline;
static bool last_ok = true;

/* Starts the next waiting job, adding what is to be said about it. */
static void launch(void) {
  struct waiting next = waiting[0];
  waiting_count--;
  memmove(waiting, waiting + 1, waiting_count * sizeof *waiting);
  if (next.queued && !last_ok) {
    free(next.payload);
    add_said("N\n");
    return;
  }
  pid_t pid = start(next.payload, next.size);
  free(next.payload);
  if (pid < 0) {
    last_ok = false;
    return;
  }
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  snprintf(held_line, sizeof held_line, "S %d\n", (int)pid);
  if (fd < 0) {
    /* No pidfd for this one: wait for it alone, S and E together. */
    add_said(held_line);
    last_ok = reap(pid);
    return;
  }
  running_pid = pid;
  running_fd = fd;

  /* The S line waits up to quick_ms: a job that ends by then has its pid
     sent with its end, one write and one wake-up instead of two. */
  held = true;
  deadline = now_ms() + quick_ms;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: neuromake-launcher QUICK_MS QUEUE_DEPTH "
                    "FIRST_WORD_CHARS WORD_CHARS SHELL_WORD...\n");
    return 2;
  }
  quick_ms = atoi(argv[1]);
  waiting_cap = 1 + (size_t)atoi(argv[2]);
  waiting = must(malloc(waiting_cap * sizeof *waiting));
  first_chars = argv[3];
  word_chars = argv[4];
  shell_words = argv + 5;
  signal(SIGPIPE, SIG_IGN);

  /* Inherited as ignored, SIGCHLD would reap jobs before waitpid can. */
  signal(SIGCHLD, SIG_DFL);

  int probe = (int)syscall(SYS_pidfd_open, getpid(), 0);
  if (probe < 0) fail("pidfd_open");
  close(probe);

  /* Jobs start in their own session, every signal at its default and
     none blocked, whatever the runner left to this process. */
  sigset_t all, none;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  sigemptyset(&none);
  const char *what = "posix_spawnattr";
  must_succeed(posix_spawnattr_init(&attributes), what);
  must_succeed(posix_spawnattr_setsigdefault(&attributes, &all), what);
  must_succeed(posix_spawnattr_setsigmask(&attributes, &none), what);
  must_succeed(posix_spawnattr_setflags(&attributes,
                                        POSIX_SPAWN_SETSID |
                                            POSIX_SPAWN_SETSIGDEF |
                                            POSIX_SPAWN_SETSIGMASK),
               what);

  int flags = fcntl(0, F_GETFL);
  if (flags < 0 || fcntl(0, F_SETFL, flags | O_NONBLOCK) < 0) fail("fcntl");
  say("R queue\n", 8);

  while (true) {
    if (running_pid < 0 && waiting_count > 0) {
      launch();
      flush_said();
      continue;
    }

    /* Idle with messages read but not parsed (see parse_input). */
    if (running_pid < 0 && unread_size > 0) {
      size_t before = unread_size;
      parse_input();
      flush_said();
      if (unread_size != before) continue;
    }

    /* Note: input is not listened to while the job is young, so that the
       runner queueing the next job does not wake this process; it is read
       when the job ends. */
    struct pollfd fds[2];
    nfds_t count = 0;
    int timeout = -1;
    if (running_pid < 0 || !held) fds[count++] = (struct pollfd){0, POLLIN, 0};
    if (running_pid >= 0) {
      fds[count++] = (struct pollfd){running_fd, POLLIN, 0};
      if (held) {
        double left = deadline - now_ms();
        timeout = left <= 0 ? 0 : (int)left + 1;
      }
    }
    int ready = poll(fds, count, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      fail("poll");
    }
    if (ready == 0 && held) {
      add_said(held_line);
      held = false;
      flush_said();
      continue;
    }
    bool input = false, ended = false;
    for (nfds_t i = 0; i < count; i++) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == 0) input = true;
      else ended = true;
    }
    if (input && !ended) {
      if (!take_input()) {
        flush_said();
        return 0;
      }
      flush_said();
      continue;
    }
    if (ended) {
      close(running_fd);
      pid_t pid = running_pid;
      running_fd = -1;
      if (held) add_said(held_line);
      held = false;

      /* Input first: a cancel that came while the job was young is
         answered (N) before this job's E, while the runner still counts
         the cancelled job as queued, not as begun. (running_pid is still
         set: what came before this E is queued, see parse_input.) */
      bool open = take_input();
      running_pid = -1;
      last_ok = reap(pid);
      if (!open) {
        flush_said();
        return 0;
      }

      /* The next job starts before the runner hears of this end. */
      if (waiting_count > 0) launch();
      flush_said();
    }
  }
}

/*
 * hello.c - the FastCGI application used by bench/run.
 *
 * Answers every request with
 *     Content-Type: text/plain
 *     Content-Length: <n>
 *     X-Hello-Pid: <pid>      (lets bench/run check the app really answered)
 *
 *     Hello, world\n
 * or, with "?size=N" in the query string, an N-byte text/plain body.
 *
 * Two ways to run it:
 *   hello SOCKET_PATH [WORKERS]
 *       external server: binds a Unix socket at SOCKET_PATH (FCGX_OpenSocket),
 *       then forks WORKERS (default 4) single-threaded processes that all
 *       accept on that one listening socket.  The parent only waits; on
 *       SIGTERM/SIGINT it kills the workers and removes the socket.
 *   hello
 *       no argument: one single-threaded process accepting on fd 0, the way
 *       mod_fcgid (and mod_fastcgi's dynamic servers) spawn an application.
 *
 * Either way every worker handles exactly one request at a time, so "4 app
 * processes" means the same amount of application concurrency whichever
 * gateway talks to it.
 *
 * Build: cc -O2 -o hello hello.c -lfcgi
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_SIZE (64L * 1024 * 1024)
#define MAX_WORKERS 256

static const char hello[] = "Hello, world\n";
static char *big;          /* MAX_SIZE bytes of filler, made on first use */
static long big_len;

static long query_size(const char *qs)
{
    /* look for "size=N" as a whole parameter */
    const char *p = qs;
    while (p && *p) {
        if (strncmp(p, "size=", 5) == 0) {
            char *end;
            long n = strtol(p + 5, &end, 10);
            if (end != p + 5 && n >= 0)
                return n > MAX_SIZE ? MAX_SIZE : n;
            return -1;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return -1;
}

static const char *filler(long n)
{
    if (n > big_len) {
        char *b = realloc(big, (size_t)n);
        if (!b)
            return NULL;
        for (long i = big_len; i < n; i++)
            b[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
        big = b;
        big_len = n;
    }
    return big;
}

static void serve(int listen_fd)
{
    FCGX_Request req;
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
        _exit(1);
    while (FCGX_Accept_r(&req) >= 0) {
        const char *qs = FCGX_GetParam("QUERY_STRING", req.envp);
        long n = query_size(qs);
        const char *body = hello;
        long len = (long)sizeof(hello) - 1;
        if (n >= 0) {
            body = filler(n);
            len = n;
            if (!body) {
                FCGX_FPrintF(req.out, "Status: 500 Internal Server Error\r\n"
                                      "Content-Type: text/plain\r\n\r\nout of memory\n");
                FCGX_Finish_r(&req);
                continue;
            }
        }
        FCGX_FPrintF(req.out, "Content-Type: text/plain\r\nContent-Length: %ld\r\n"
                              "X-Hello-Pid: %ld\r\n\r\n", len, (long)getpid());
        if (len > 0)
            FCGX_PutStr(body, (int)len, req.out);
        FCGX_Finish_r(&req);
    }
}

static pid_t workers[MAX_WORKERS];
static int nworkers;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    if (FCGX_Init() != 0)
        return 1;

    if (argc < 2) {             /* spawned by mod_fcgid: listen socket is fd 0 */
        serve(0);
        return 0;
    }

    const char *path = argv[1];
    int n = argc > 2 ? atoi(argv[2]) : 4;
    if (n < 1 || n > MAX_WORKERS) {
        fprintf(stderr, "hello: bad worker count\n");
        return 2;
    }
    unlink(path);
    int fd = FCGX_OpenSocket(path, 1024);
    if (fd < 0) {
        fprintf(stderr, "hello: cannot listen on %s: %s\n", path, strerror(errno));
        return 1;
    }
    chmod(path, 0777);          /* httpd's children run as another user */

    for (nworkers = 0; nworkers < n; nworkers++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("hello: fork");
            break;
        }
        if (pid == 0) {
            signal(SIGTERM, SIG_DFL);
            signal(SIGINT, SIG_DFL);
            serve(fd);
            _exit(0);
        }
        workers[nworkers] = pid;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int alive = nworkers;
    while (!stop && alive > 0) {
        if (wait(NULL) > 0)
            alive--;
        else if (errno == ECHILD)
            break;
    }
    for (int i = 0; i < nworkers; i++)
        kill(workers[i], SIGTERM);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    unlink(path);
    return 0;
}

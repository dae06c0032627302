/* fcgi_common.c -- see fcgi_common.h */
#include "fcgi_common.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

const char *fcgi_prog = "fcgi-app";

void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            fprintf(stderr, "%s: out of memory\n", fcgi_prog);
            exit(99);
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

void append_file(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0666);
    if (fd >= 0) {
        ssize_t w = write(fd, data, len);
        (void)w;
        close(fd);
    }
}

static volatile sig_atomic_t stopping;

/* master: stop the workers and reap them before leaving, so that no zombie
 * is left to init */
static void on_term(int sig)
{
    (void)sig;
    stopping = 1;
    signal(SIGTERM, SIG_IGN);
    kill(0, SIGTERM);
    while (wait(NULL) > 0 || errno == EINTR)
        ;
    _exit(0);
}

int fcgi_app_main(const char *prog, int argc, char **argv, void (*handle)(FCGX_Request *req))
{
    fcgi_prog = prog;
    int procs = 1;
    const char *addr = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            procs = atoi(argv[++i]);
        else
            addr = argv[i];
    }
    if (procs < 1) procs = 1;

    signal(SIGPIPE, SIG_IGN);
    if (FCGX_Init() != 0) {
        fprintf(stderr, "%s: FCGX_Init failed\n", prog);
        return 1;
    }
    int lsock = 0;
    if (addr) {
        umask(0); /* the web server runs as another user: socket must be 0777 */
        if (addr[0] == '/' || addr[0] == '.') unlink(addr);
        lsock = FCGX_OpenSocket(addr, 128);
        if (lsock < 0) {
            fprintf(stderr, "%s: cannot listen on %s: %s\n", prog, addr, strerror(errno));
            return 1;
        }
    }

    if (procs > 1) {
        /* own process group so that one kill reaches every worker */
        setpgid(0, 0);
        for (int i = 0; i < procs; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                signal(SIGTERM, SIG_DFL);
                goto serve;
            }
        }
        signal(SIGTERM, on_term);
        signal(SIGINT, on_term);
        for (;;) {
            int status;
            pid_t pid = wait(&status);
            if (pid < 0 && errno == ECHILD) return 0;
            if (pid > 0 && !stopping) {
                /* keep PROCS workers: a test may make one exit */
                pid_t np = fork();
                if (np == 0) {
                    signal(SIGTERM, SIG_DFL);
                    signal(SIGINT, SIG_DFL);
                    goto serve;
                }
            }
        }
    }

serve:;
    FCGX_Request req;
    if (FCGX_InitRequest(&req, lsock, 0) != 0) {
        fprintf(stderr, "%s: FCGX_InitRequest failed\n", prog);
        return 1;
    }
    while (FCGX_Accept_r(&req) >= 0) {
        handle(&req);
        FCGX_Finish_r(&req);
    }
    return 0;
}

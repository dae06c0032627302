/*
 * fcgi_common.h -- what the libfcgi test applications (responder.c,
 * authorizer.c) share: a growable byte buffer, a one-write log append and the
 * whole of main() (arguments, listening socket, worker processes, accept loop).
 */
#ifndef FCGI_TEST_COMMON_H
#define FCGI_TEST_COMMON_H

#include <fcgiapp.h>

#include <stddef.h>

/* name of the program in messages to stderr ("responder", "authorizer") */
extern const char *fcgi_prog;

struct buf {
    char *p;
    size_t len, cap;
};

/* appends [s, s+n) (kept NUL-terminated); exits 99 when out of memory */
void buf_add(struct buf *b, const char *s, size_t n);
void buf_adds(struct buf *b, const char *s);

/* appends [data, data+len) to the file at path (created 0666) in ONE write,
 * so that lines of concurrent processes never interleave; errors ignored */
void append_file(const char *path, const char *data, size_t len);

/*
 * The whole main() of an app:  PROG [-n PROCS] [ADDRESS]
 *   ADDRESS   unix socket path or "host:port" (FCGX_OpenSocket); without it the
 *             listening socket is fd 0 (FCGI_LISTENSOCK_FILENO).
 *   -n PROCS  PROCS worker processes accept on the same socket (default 1); a
 *             worker that exits is replaced; TERM/INT to the master stops and
 *             reaps them all.
 * Ignores SIGPIPE, then calls handle() for every request accepted.
 */
int fcgi_app_main(const char *prog, int argc, char **argv, void (*handle)(FCGX_Request *req));

#endif

#define _GNU_SOURCE 1
/*
 * responder.c -- FastCGI test application on libfcgi (FCGX_* API).
 *
 * Usage:
 *   responder [-n PROCS] [ADDRESS]
 *     ADDRESS   unix socket path, or "host:port" / ":port" (IPv4, libfcgi's
 *               FCGX_OpenSocket).  Without ADDRESS the listening socket is
 *               fd 0 (FCGI_LISTENSOCK_FILENO), which is how the test harness
 *               hands over sockets libfcgi cannot create itself (IPv6).
 *     -n PROCS  fork PROCS processes that accept on the same socket
 *               (default 1), so that one hanging request does not block
 *               the others.
 *   Environment: FCGI_TEST_LOG=file  append "<pid> <REQUEST_URI>\n" for every
 *               request accepted (tests use it to prove the app was not hit).
 *               FCGI_TEST_DELAY_MS=N  sleep N ms before each request (balancer
 *               tests: one member slower than the others, whatever the query).
 *               FCGI_TEST_NAME=TEXT  header "X-Member: TEXT" on every answer.
 *
 * Behaviour is chosen by QUERY_STRING: '&'-separated commands "key" or
 * "key=value" (value URL-decoded: %XX and '+'), executed in order.  Headers
 * collected by status/header/location/ctype are written (followed by the blank
 * line) just before the first body byte, or at the end of the command list.
 * An empty QUERY_STRING means "env".
 *
 *   env            body: every param as NAME=VALUE\n, sorted by NAME
 *   echo           read all of stdin; header X-Stdin-Length: N; body = stdin
 *   size=N         body of N bytes, byte i = 'a' + i % 26 (streamed in chunks)
 *   status=TEXT    header "Status: TEXT"
 *   header=LINE    raw header line "LINE" (repeatable)
 *   location=URL   header "Location: URL"
 *   ctype=TYPE     Content-Type (default text/plain)
 *   sleep=MS       sleep MS milliseconds
 *   pause=MS       same as sleep (meant to be used between body parts)
 *   write=TEXT     body part TEXT
 *   flush          FCGX_FFlush(stdout) now
 *   stderr=TEXT    TEXT to the FastCGI stderr stream (flushed at once)
 *   rawhead=BYTES  BYTES written verbatim as the header block (include the
 *                  blank line yourself); the collected headers are dropped
 *   nohead         never write a header block
 *   exit=N         flush what was written so far and exit(N) (no END_REQUEST)
 *   hang           sleep forever
 *   pid            body part "pid=<pid>\n"
 *   conn           body part "conn=<pid>:<n>\n": n counts the connections this
 *                  process accepted, so two requests with the same answer
 *                  came over one kept connection
 *   longheader=N   header line "X-Long: " + N bytes 'x'
 *   manyheaders=N  N header lines "X-Many-<i>: <i>"
 *   pad=ANY        ignored (lets tests make long query strings)
 *
 * "hang" polls the connection and exits the worker process when the web
 * server closes it (the master process forks a replacement), so a timed-out
 * request does not eat a worker for the rest of the test file.
 */
#include "fcgi_common.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* URL-decodes [s, s+n) into a fresh buffer; *outlen gets the length (may contain NULs). */
static char *urldecode(const char *s, size_t n, size_t *outlen)
{
    char *o = malloc(n + 1);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            o[j++] = ' ';
        } else if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
                   hexval((unsigned char)s[i + 2]) >= 0) {
            o[j++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = '\0';
    *outlen = j;
    return o;
}

static void sleep_ms(long ms)
{
    struct timespec ts;
    if (ms <= 0) return;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct state {
    FCGX_Request *req;
    struct buf headers;   /* collected header lines */
    const char *ctype;    /* NULL: text/plain */
    int head_done;        /* header block written or suppressed */
};

static void send_head(struct state *st)
{
    if (st->head_done) return;
    st->head_done = 1;
    FCGX_FPrintF(st->req->out, "Content-Type: %s\r\n", st->ctype ? st->ctype : "text/plain");
    if (st->headers.len)
        FCGX_PutStr(st->headers.p, (int)st->headers.len, st->req->out);
    FCGX_PutS("\r\n", st->req->out);
}

static void do_env(struct state *st)
{
    char **envp = st->req->envp;
    size_t n = 0;
    while (envp[n]) n++;
    char **copy = malloc((n + 1) * sizeof *copy);
    memcpy(copy, envp, (n + 1) * sizeof *copy);
    qsort(copy, n, sizeof *copy, cmp_str);
    send_head(st);
    for (size_t i = 0; i < n; i++) {
        FCGX_PutS(copy[i], st->req->out);
        FCGX_PutChar('\n', st->req->out);
    }
    free(copy);
}

static void do_echo(struct state *st)
{
    struct buf in = {0};
    char chunk[65536];
    int got;
    while ((got = FCGX_GetStr(chunk, sizeof chunk, st->req->in)) > 0)
        buf_add(&in, chunk, (size_t)got);
    if (!st->head_done) {
        char line[64];
        snprintf(line, sizeof line, "X-Stdin-Length: %zu\r\n", in.len);
        buf_adds(&st->headers, line);
    }
    send_head(st);
    size_t off = 0;
    while (off < in.len) {
        size_t n = in.len - off > 65536 ? 65536 : in.len - off;
        if (FCGX_PutStr(in.p + off, (int)n, st->req->out) < 0) break;
        off += n;
    }
    free(in.p);
}

static void do_size(struct state *st, unsigned long long n)
{
    static char pat[65536 + 26];
    static int init;
    if (!init) {
        for (size_t i = 0; i < sizeof pat; i++) pat[i] = (char)('a' + i % 26);
        init = 1;
    }
    send_head(st);
    unsigned long long off = 0;
    while (off < n) {
        size_t chunk = n - off > 65520 ? 65520 : (size_t)(n - off); /* 65520 = 26*2520 */
        /* pattern continues: start at offset off % 26 */
        if (FCGX_PutStr(pat + (off % 26), (int)chunk, st->req->out) < 0) return;
        off += chunk;
    }
}

/* Which accepted connection of this process `req` came over: a new
 * descriptor number or a new socket inode means a new connection. */
static unsigned long connection_number(FCGX_Request *req)
{
    static unsigned long count;
    static struct stat last;
    struct stat now;
    if (fstat(req->ipcFd, &now) != 0) return 0;
    if (count == 0 || now.st_ino != last.st_ino || now.st_dev != last.st_dev) {
        ++count;
        last = now;
    }
    return count;
}

static void request_log(FCGX_Request *req)
{
    const char *f = getenv("FCGI_TEST_LOG");
    if (!f || !*f) return;
    const char *uri = FCGX_GetParam("REQUEST_URI", req->envp);
    char line[8192];
    int n = snprintf(line, sizeof line, "%ld %s\n", (long)getpid(), uri ? uri : "-");
    if (n > (int)sizeof line - 1) {
        n = sizeof line - 1;
        line[n - 1] = '\n';
    }
    append_file(f, line, (size_t)n);
}

static void handle(FCGX_Request *req)
{
    struct state st = {0};
    st.req = req;
    request_log(req);
    const char *delay = getenv("FCGI_TEST_DELAY_MS");
    if (delay && *delay) usleep((useconds_t)atoi(delay) * 1000);
    const char *member = getenv("FCGI_TEST_NAME");
    if (member && *member) {
        buf_adds(&st.headers, "X-Member: ");
        buf_adds(&st.headers, member);
        buf_adds(&st.headers, "\r\n");
    }

    const char *qs = FCGX_GetParam("QUERY_STRING", req->envp);
    if (!qs || !*qs) qs = "env";

    const char *p = qs;
    while (*p) {
        const char *end = strchr(p, '&');
        if (!end) end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        size_t klen = eq ? (size_t)(eq - p) : (size_t)(end - p);
        char key[64];
        if (klen >= sizeof key) klen = sizeof key - 1;
        memcpy(key, p, klen);
        key[klen] = '\0';
        size_t vlen = 0;
        char *val = eq ? urldecode(eq + 1, (size_t)(end - eq - 1), &vlen) : urldecode("", 0, &vlen);

        if (!strcmp(key, "env")) {
            do_env(&st);
        } else if (!strcmp(key, "echo")) {
            do_echo(&st);
        } else if (!strcmp(key, "size")) {
            do_size(&st, strtoull(val, NULL, 10));
        } else if (!strcmp(key, "status")) {
            buf_adds(&st.headers, "Status: ");
            buf_add(&st.headers, val, vlen);
            buf_adds(&st.headers, "\r\n");
        } else if (!strcmp(key, "header")) {
            buf_add(&st.headers, val, vlen);
            buf_adds(&st.headers, "\r\n");
        } else if (!strcmp(key, "location")) {
            buf_adds(&st.headers, "Location: ");
            buf_add(&st.headers, val, vlen);
            buf_adds(&st.headers, "\r\n");
        } else if (!strcmp(key, "ctype")) {
            st.ctype = strdup(val);
        } else if (!strcmp(key, "sleep") || !strcmp(key, "pause")) {
            sleep_ms(atol(val));
        } else if (!strcmp(key, "write")) {
            send_head(&st);
            FCGX_PutStr(val, (int)vlen, req->out);
        } else if (!strcmp(key, "flush")) {
            FCGX_FFlush(req->out);
        } else if (!strcmp(key, "stderr")) {
            FCGX_PutStr(val, (int)vlen, req->err);
            FCGX_FFlush(req->err);
        } else if (!strcmp(key, "rawhead")) {
            st.head_done = 1;
            FCGX_PutStr(val, (int)vlen, req->out);
        } else if (!strcmp(key, "nohead")) {
            st.head_done = 1;
        } else if (!strcmp(key, "exit")) {
            FCGX_FFlush(req->out);
            FCGX_FFlush(req->err);
            _exit(atoi(val));
        } else if (!strcmp(key, "hang")) {
            FCGX_FFlush(req->out);
            for (;;) {
                struct pollfd pfd = {req->ipcFd, POLLIN | POLLRDHUP, 0};
                int r = poll(&pfd, 1, 1000);
                if (r > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
                    _exit(0);
                if (r > 0 && (pfd.revents & POLLIN)) {
                    char c;
                    if (recv(req->ipcFd, &c, 1, MSG_PEEK) <= 0) _exit(0);
                    sleep_ms(100);
                }
            }
        } else if (!strcmp(key, "longheader")) {
            size_t n = strtoul(val, NULL, 10);
            char *x = malloc(n + 1);
            memset(x, 'x', n);
            buf_adds(&st.headers, "X-Long: ");
            buf_add(&st.headers, x, n);
            buf_adds(&st.headers, "\r\n");
            free(x);
        } else if (!strcmp(key, "manyheaders")) {
            long n = atol(val);
            for (long i = 0; i < n; i++) {
                char line[64];
                snprintf(line, sizeof line, "X-Many-%ld: %ld\r\n", i, i);
                buf_adds(&st.headers, line);
            }
        } else if (!strcmp(key, "pad")) {
            /* nothing */
        } else if (!strcmp(key, "pid")) {
            send_head(&st);
            FCGX_FPrintF(req->out, "pid=%ld\n", (long)getpid());
        } else if (!strcmp(key, "conn")) {
            send_head(&st);
            FCGX_FPrintF(req->out, "conn=%ld:%lu\n", (long)getpid(), connection_number(req));
        } else {
            send_head(&st);
            FCGX_FPrintF(req->out, "unknown command: %s\n", key);
        }
        free(val);
        p = *end ? end + 1 : end;
    }
    send_head(&st);
    free(st.headers.p);
    free((char *)st.ctype);
}

int main(int argc, char **argv)
{
    return fcgi_app_main("responder", argc, argv, handle);
}

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
 *   longheader=N   header line "X-Long: " + N bytes 'x'
 *   manyheaders=N  N header lines "X-Many-<i>: <i>"
 *   pad=ANY        ignored (lets tests make long query strings)
 *
 * "hang" polls the connection and exits the worker process when the web
 * server closes it (the master process forks a replacement), so a timed-out
 * request does not eat a worker for the rest of the test file.
 */
#include <fcgiapp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct buf {
    char *p;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np) {
            fprintf(stderr, "responder: out of memory\n");
            exit(99);
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s) { buf_add(b, s, strlen(s)); }

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
    int fd = open(f, O_WRONLY | O_APPEND | O_CREAT, 0666);
    if (fd >= 0) {
        ssize_t w = write(fd, line, (size_t)n);
        (void)w;
        close(fd);
    }
}

static void handle(FCGX_Request *req)
{
    struct state st = {0};
    st.req = req;
    request_log(req);

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

int main(int argc, char **argv)
{
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
        fprintf(stderr, "responder: FCGX_Init failed\n");
        return 1;
    }
    int lsock = 0;
    if (addr) {
        umask(0); /* the web server runs as another user: socket must be 0777 */
        if (addr[0] == '/' || addr[0] == '.') unlink(addr);
        lsock = FCGX_OpenSocket(addr, 128);
        if (lsock < 0) {
            fprintf(stderr, "responder: cannot listen on %s: %s\n", addr, strerror(errno));
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
                /* keep PROCS workers: a test may kill one with exit=N */
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
        fprintf(stderr, "responder: FCGX_InitRequest failed\n");
        return 1;
    }
    while (FCGX_Accept_r(&req) >= 0) {
        handle(&req);
        FCGX_Finish_r(&req);
    }
    return 0;
}

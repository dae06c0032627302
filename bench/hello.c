/*
 * hello.c - the FastCGI application used by bench/run.
 *
 * GET (any method without a body) answers
 *     Content-Type: text/plain
 *     Content-Length: <n>
 *     X-Hello-Pid: <pid>      (lets bench/run check the app really answered)
 *
 *     Hello, world\n
 * or, with "?size=N" in the query string, an N-byte body of the bench
 * pattern (see pattern_byte; bench/run and mod_bench_hello.c make the same
 * bytes).  Any N is streamed from one 64 KiB buffer, so a 1 GiB answer costs
 * the app no memory and blocks on its socket when the gateway stops reading.
 *
 * A request with a body (POST) has it read to the end and answers
 *     len=<bytes read> fnv=<32-bit FNV-1a of those bytes, 8 hex digits>\n
 * so the bench can check the gateway passed the whole body unchanged.  With
 * the request header "X-Bench-No-Hash: 1" (the timed requests of
 * bench/post.lua) the body is still read to the end but not hashed, and the
 * answer is "len=<bytes read> fnv=-": hashing 1 MiB byte by byte costs more
 * CPU than any gateway spends on it, and would hide their differences.
 *
 * Two ways to run it:
 *   hello ADDRESS [WORKERS]
 *       external server: listens on ADDRESS (a Unix socket path, or
 *       "host:port" for TCP; FCGX_OpenSocket), then forks WORKERS (default
 *       4) single-threaded processes that all accept on that one socket.
 *       The parent only waits; on SIGTERM/SIGINT it kills the workers and
 *       removes the socket.
 *   hello
 *       no argument: one single-threaded process accepting on fd 0, the way
 *       mod_fcgid and mod_fastcgi's process manager spawn an application.
 *
 * Either way every worker handles exactly one connection at a time, so "4 app
 * processes" means the same amount of application concurrency whichever
 * gateway talks to it.
 *
 * Build: cc -O2 -o hello hello.c -lfcgi
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_SIZE (16LL * 1024 * 1024 * 1024)
#define CHUNK (64 * 1024)        /* a multiple of the pattern's period (64) */
#define MAX_WORKERS 256

static const char hello[] = "Hello, world\n";
static char chunk[CHUNK];

/* byte i of a ?size=N body: 63 letters then a newline, period 64 */
static char pattern_byte(long long i)
{
    int k = (int)(i % 64);
    return k == 63 ? '\n' : (char)('a' + k % 26);
}

static long long query_size(const char *qs)
{
    /* look for "size=N" as a whole parameter */
    const char *p = qs;
    while (p && *p) {
        if (strncmp(p, "size=", 5) == 0) {
            char *end;
            long long n = strtoll(p + 5, &end, 10);
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

static void answer_body(FCGX_Request *req)
{
    static char buf[CHUNK];
    const char *no_hash = FCGX_GetParam("HTTP_X_BENCH_NO_HASH", req->envp);
    int hash = !(no_hash && strcmp(no_hash, "1") == 0);
    uint32_t h = 2166136261u;
    long long total = 0;
    int n;
    while ((n = FCGX_GetStr(buf, sizeof buf, req->in)) > 0) {
        for (int i = 0; hash && i < n; i++) {
            h ^= (unsigned char)buf[i];
            h *= 16777619u;
        }
        total += n;
    }
    char line[64];
    int len = hash ? snprintf(line, sizeof line, "len=%lld fnv=%08x\n", total, (unsigned)h)
                   : snprintf(line, sizeof line, "len=%lld fnv=-\n", total);
    FCGX_FPrintF(req->out, "Content-Type: text/plain\r\nContent-Length: %d\r\n"
                           "X-Hello-Pid: %ld\r\n\r\n", len, (long)getpid());
    FCGX_PutStr(line, len, req->out);
}

static void answer_get(FCGX_Request *req)
{
    long long n = query_size(FCGX_GetParam("QUERY_STRING", req->envp));
    /* HELLO_SENDFILE_DIR set (the X-Sendfile row): hand the ?size=N body
     * back to httpd as the file DIR/body-N.txt instead of writing it */
    const char *dir = getenv("HELLO_SENDFILE_DIR");
    if (dir && *dir && n >= 0) {
        FCGX_FPrintF(req->out, "Content-Type: text/plain\r\nX-Hello-Pid: %ld\r\n"
                               "X-Sendfile: %s/body-%lld.txt\r\n\r\n", (long)getpid(), dir, n);
        return;
    }
    FCGX_FPrintF(req->out, "Content-Type: text/plain\r\nContent-Length: %lld\r\n"
                           "X-Hello-Pid: %ld\r\n\r\n",
                 n >= 0 ? n : (long long)sizeof hello - 1, (long)getpid());
    if (n < 0) {
        FCGX_PutStr(hello, (int)sizeof hello - 1, req->out);
        return;
    }
    while (n > 0) {
        int k = n > CHUNK ? CHUNK : (int)n;
        if (FCGX_PutStr(chunk, k, req->out) < 0)
            return;             /* gateway went away */
        n -= k;
    }
}

static void serve(int listen_fd)
{
    for (int i = 0; i < CHUNK; i++)
        chunk[i] = pattern_byte(i);
    FCGX_Request req;
    if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
        _exit(1);
    while (FCGX_Accept_r(&req) >= 0) {
        const char *cl = FCGX_GetParam("CONTENT_LENGTH", req.envp);
        if (cl && *cl && strcmp(cl, "0") != 0)
            answer_body(&req);
        else
            answer_get(&req);
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

    if (argc < 2) {             /* spawned by a process manager: fd 0 listens */
        serve(0);
        return 0;
    }

    const char *addr = argv[1];
    int is_unix = strchr(addr, ':') == NULL;
    int n = argc > 2 ? atoi(argv[2]) : 4;
    if (n < 1 || n > MAX_WORKERS) {
        fprintf(stderr, "hello: bad worker count\n");
        return 2;
    }
    if (is_unix)
        unlink(addr);
    int fd = FCGX_OpenSocket(addr, 1024);
    if (fd < 0) {
        fprintf(stderr, "hello: cannot listen on %s: %s\n", addr, strerror(errno));
        return 1;
    }
    if (is_unix)
        chmod(addr, 0777);      /* httpd's children run as another user */

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
    if (is_unix)
        unlink(addr);
    return 0;
}

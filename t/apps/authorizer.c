#define _GNU_SOURCE 1
/*
 * authorizer.c -- FastCGI AUTHORIZER-role test application on libfcgi.
 *
 * Usage:
 *   authorizer [-n PROCS] [ADDRESS]
 *     ADDRESS   unix socket path or "host:port"; without it the listening
 *               socket is fd 0 (FCGI_LISTENSOCK_FILENO), which is how the
 *               process manager starts static (FastCgiServer) and dynamic
 *               applications.
 *     -n PROCS  fork PROCS workers on the same socket (default 1); a worker
 *               that exits (command "exit") is replaced.
 *
 * t/apps/auth.pl (Perl FCGI) implements exactly the same contract; the tests
 * run both through the same assertions.
 *
 * Every request appends ONE line to the env log, $FCGI_AUTH_LOG, or (when
 * unset, e.g. a dynamic app started by the process manager)
 * <dir of this executable>/../../logs/auth_env.log:
 *
 *   <HTTP_X_TEST_ID or "-"> TAB <FCGI_APACHE_ROLE or "-"> TAB c TAB <pid>
 *     TAB +log=env|exe (where the log path came from)
 *     then TAB NAME=VALUE for every param, VALUE %-encoded (%XX for
 *     anything but [A-Za-z0-9_.~/:@,+=-])
 *
 * so that the tests can assert the exact environment each role received.
 *
 * The answer depends on FCGI_APACHE_ROLE and on the request (no state):
 *
 *   AUTHENTICATOR  grants REMOTE_USER:REMOTE_PASSWD in bob:secret,
 *                  alice:wonderland, carol:carolpw
 *   AUTHORIZER     grants REMOTE_USER bob
 *   ACCESS_CHECKER grants when the request header X-Access-Key is "letmein"
 *   anything else  Status: 500 (the app was configured as a responder)
 *
 *   grant (200, no Status line, no body):
 *     Variable-<P>_USER: <REMOTE_USER>    (ACCESS_CHECKER: Variable-ACCESS_OK: yes)
 *     Variable-<P>_APP: c
 *     <Q>-Plain: plain-<REMOTE_USER>      (a header without the Variable- prefix)
 *     where <P>/<Q> is AUTHN/Authn, AUTHZ/Authz or ACCESS/Access
 *   deny:
 *     AUTHENTICATOR   Status: 401 Unauthorized, WWW-Authenticate: Basic realm="fastcgi-app"
 *     AUTHORIZER      Status: 403 Forbidden
 *     ACCESS_CHECKER  Status: 403 Forbidden
 *     plus X-Denied-By: <role in lower case>, Content-Type: text/plain and
 *     the body "<role> app c denied <REMOTE_USER or -> for <REQUEST_URI>\n"
 *
 * The request header X-Auth-Cmd (HTTP_X_AUTH_CMD) overrides the decision:
 *   grant        grant as above
 *   grant-status grant with an explicit "Status: 200 OK" line
 *   slow-grant   sleep 3 s, then grant (for -idle-timeout)
 *   status500    Status: 500 with a body (a well-formed answer: a denial)
 *   deny401      Status: 401 without WWW-Authenticate, with a body
 *   deny401-nobody  Status: 401, no challenge, no body
 *   deny403      Status: 403 with X-Denied-By and a body
 *   deny403-nobody  Status: 403, no body
 *   deny403-big  Status: 403 with a 100000-byte body (byte i = 'a' + i % 26)
 *   deny403-cookies  Status: 403 with two Set-Cookie headers (a=1, b=2) and a body
 *   redirect-nobody  Status: 302 and Location, no body
 *   location-only    Location: http://login.example/login, no Status line, no body
 *                    (a CGI client redirect)
 *   status=TEXT  "Status: TEXT" and the body "status body\n" (C app only)
 *   status-nobody=TEXT  "Status: TEXT", no body (C app only)
 *   redirect     Status: 302, Location: http://login.example/login?back=<REQUEST_URI>, body
 *   exit         write nothing and exit (connection closed, no FCGI_END_REQUEST)
 *   exit-midhead write half a header block, then exit
 *   badstatus    Status: abc
 *   garbage      a header line without a colon
 *   nohead       end the request without a complete header block
 */
#include "fcgi_common.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char log_path[PATH_MAX + 64];
static const char *log_from = "exe";

static void init_log_path(void)
{
    const char *env = getenv("FCGI_AUTH_LOG");
    if (env && *env) {
        snprintf(log_path, sizeof log_path, "%s", env);
        log_from = "env";
        return;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    /* .../t/apps/bin/authorizer -> .../t */
    for (int i = 0; i < 3; i++) {
        char *slash = strrchr(exe, '/');
        if (!slash) return;
        *slash = '\0';
    }
    snprintf(log_path, sizeof log_path, "%s/logs/auth_env.log", exe);
}

static const char *param(FCGX_Request *req, const char *name)
{
    return FCGX_GetParam(name, req->envp);
}

static const char *nz(const char *s) { return s ? s : ""; }

static int is_plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("_.~/:@,+=-", c) != NULL;
}

static void put_encoded(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (is_plain((unsigned char)*s)) {
            buf_add(b, s, 1);
        } else {
            char hex[4];
            snprintf(hex, sizeof hex, "%%%02X", (unsigned char)*s);
            buf_add(b, hex, 3);
        }
    }
}

static void log_env(FCGX_Request *req)
{
    if (!log_path[0]) return;
    struct buf b = {0};
    const char *id = param(req, "HTTP_X_TEST_ID");
    const char *role = param(req, "FCGI_APACHE_ROLE");
    put_encoded(&b, id ? id : "-");
    buf_adds(&b, "\t");
    put_encoded(&b, role ? role : "-");
    char pid[64];
    snprintf(pid, sizeof pid, "\tc\t%ld\t+log=%s", (long)getpid(), log_from);
    buf_adds(&b, pid);
    for (char **e = req->envp; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq) continue;
        buf_adds(&b, "\t");
        buf_add(&b, *e, (size_t)(eq - *e));
        buf_adds(&b, "=");
        put_encoded(&b, eq + 1);
    }
    buf_adds(&b, "\n");
    append_file(log_path, b.p, b.len); /* one write: lines never interleave */
    free(b.p);
}

static int valid_password(const char *user, const char *pw)
{
    static const char *const users[][2] = {
        {"bob", "secret"}, {"alice", "wonderland"}, {"carol", "carolpw"}};
    if (!user || !pw) return 0;
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        if (!strcmp(user, users[i][0]) && !strcmp(pw, users[i][1])) return 1;
    return 0;
}

static void grant(FCGX_Request *req, const char *role)
{
    const char *user = nz(param(req, "REMOTE_USER"));
    if (!strcmp(role, "AUTHENTICATOR")) {
        FCGX_FPrintF(req->out, "Variable-AUTHN_USER: %s\r\nVariable-AUTHN_APP: c\r\nAuthn-Plain: plain-%s\r\n\r\n",
                     user, user);
    } else if (!strcmp(role, "AUTHORIZER")) {
        FCGX_FPrintF(req->out, "Variable-AUTHZ_USER: %s\r\nVariable-AUTHZ_APP: c\r\nAuthz-Plain: plain-%s\r\n\r\n",
                     user, user);
    } else {
        FCGX_FPrintF(req->out, "Variable-ACCESS_OK: yes\r\nVariable-ACCESS_APP: c\r\nAccess-Plain: plain-%s\r\n\r\n",
                     user);
    }
}

static const char *lower_role(const char *role)
{
    if (!strcmp(role, "AUTHENTICATOR")) return "authenticator";
    if (!strcmp(role, "AUTHORIZER")) return "authorizer";
    if (!strcmp(role, "ACCESS_CHECKER")) return "access-checker";
    return "unknown";
}

static void body(FCGX_Request *req, const char *role)
{
    FCGX_FPrintF(req->out, "%s app c denied %s for %s\n", lower_role(role),
                 param(req, "REMOTE_USER") ? param(req, "REMOTE_USER") : "-", nz(param(req, "REQUEST_URI")));
}

static void deny(FCGX_Request *req, const char *role)
{
    if (!strcmp(role, "AUTHENTICATOR"))
        FCGX_PutS("Status: 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"fastcgi-app\"\r\n", req->out);
    else
        FCGX_PutS("Status: 403 Forbidden\r\n", req->out);
    FCGX_FPrintF(req->out, "X-Denied-By: %s\r\nContent-Type: text/plain\r\n\r\n", lower_role(role));
    body(req, role);
}

static void handle(FCGX_Request *req)
{
    log_env(req);
    const char *role = param(req, "FCGI_APACHE_ROLE");
    const char *cmd = param(req, "HTTP_X_AUTH_CMD");
    if (!role || (strcmp(role, "AUTHENTICATOR") && strcmp(role, "AUTHORIZER") && strcmp(role, "ACCESS_CHECKER"))) {
        FCGX_PutS("Status: 500 Not An Authorizer\r\nContent-Type: text/plain\r\n\r\nnot an authorizer request\n",
                  req->out);
        return;
    }
    if (cmd && *cmd) {
        if (!strcmp(cmd, "grant")) {
            grant(req, role);
        } else if (!strcmp(cmd, "grant-status")) {
            FCGX_PutS("Status: 200 OK\r\n", req->out);
            grant(req, role);
        } else if (!strcmp(cmd, "slow-grant")) {
            sleep(3);
            grant(req, role);
        } else if (!strcmp(cmd, "status500")) {
            FCGX_PutS("Status: 500 Database Down\r\nContent-Type: text/plain\r\n\r\napp error page\n", req->out);
        } else if (!strcmp(cmd, "deny401")) {
            FCGX_FPrintF(req->out, "Status: 401 Unauthorized\r\nX-Denied-By: %s\r\nContent-Type: text/plain\r\n\r\n",
                         lower_role(role));
            body(req, role);
        } else if (!strcmp(cmd, "deny401-nobody")) {
            FCGX_PutS("Status: 401 Unauthorized\r\nX-Nobody: 1\r\n\r\n", req->out);
        } else if (!strcmp(cmd, "deny403")) {
            FCGX_FPrintF(req->out, "Status: 403 Forbidden\r\nX-Denied-By: %s\r\nContent-Type: text/plain\r\n\r\n",
                         lower_role(role));
            body(req, role);
        } else if (!strcmp(cmd, "deny403-nobody")) {
            FCGX_PutS("Status: 403 Forbidden\r\nX-Nobody: 1\r\n\r\n", req->out);
        } else if (!strcmp(cmd, "deny403-big")) {
            FCGX_PutS("Status: 403 Forbidden\r\nX-Big: 1\r\nContent-Type: text/plain\r\n\r\n", req->out);
            for (int i = 0; i < 100000; i++) FCGX_PutChar('a' + i % 26, req->out);
        } else if (!strcmp(cmd, "deny403-cookies")) {
            FCGX_PutS("Status: 403 Forbidden\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n"
                      "Content-Type: text/plain\r\n\r\ncookies\n", req->out);
        } else if (!strncmp(cmd, "status=", 7)) {
            FCGX_FPrintF(req->out, "Status: %s\r\nContent-Type: text/plain\r\n\r\nstatus body\n", cmd + 7);
        } else if (!strncmp(cmd, "status-nobody=", 14)) {
            FCGX_FPrintF(req->out, "Status: %s\r\n\r\n", cmd + 14);
        } else if (!strcmp(cmd, "redirect-nobody")) {
            FCGX_PutS("Status: 302 Found\r\nLocation: http://login.example/login\r\n\r\n", req->out);
        } else if (!strcmp(cmd, "location-only")) {
            FCGX_PutS("Location: http://login.example/login\r\n\r\n", req->out);
        } else if (!strcmp(cmd, "redirect")) {
            FCGX_FPrintF(req->out,
                         "Status: 302 Found\r\nLocation: http://login.example/login?back=%s\r\n"
                         "X-Denied-By: %s\r\nContent-Type: text/html\r\n\r\n<a href=\"http://login.example/login\">login</a>\n",
                         nz(param(req, "REQUEST_URI")), lower_role(role));
        } else if (!strcmp(cmd, "exit")) {
            _exit(3);
        } else if (!strcmp(cmd, "exit-midhead")) {
            FCGX_PutS("Variable-HALF: 1\r\nX-Half", req->out);
            FCGX_FFlush(req->out);
            _exit(3);
        } else if (!strcmp(cmd, "badstatus")) {
            FCGX_PutS("Status: abc\r\nVariable-AUTHN_USER: forged\r\nContent-Type: text/plain\r\n\r\nbad status\n",
                      req->out);
        } else if (!strcmp(cmd, "garbage")) {
            FCGX_PutS("Variable-AUTHN_USER: forged\r\nthis line is not a header\r\n\r\n", req->out);
        } else if (!strcmp(cmd, "nohead")) {
            FCGX_PutS("Variable-AUTHN_USER: forged\r\n", req->out);
        } else {
            FCGX_FPrintF(req->out, "Status: 500 Unknown Command\r\nContent-Type: text/plain\r\n\r\nunknown X-Auth-Cmd %s\n",
                         cmd);
        }
        return;
    }
    int ok;
    if (!strcmp(role, "AUTHENTICATOR"))
        ok = valid_password(param(req, "REMOTE_USER"), param(req, "REMOTE_PASSWD"));
    else if (!strcmp(role, "AUTHORIZER"))
        ok = param(req, "REMOTE_USER") && !strcmp(param(req, "REMOTE_USER"), "bob");
    else
        ok = param(req, "HTTP_X_ACCESS_KEY") && !strcmp(param(req, "HTTP_X_ACCESS_KEY"), "letmein");
    if (ok)
        grant(req, role);
    else
        deny(req, role);
}

int main(int argc, char **argv)
{
    init_log_path();
    return fcgi_app_main("authorizer", argc, argv, handle);
}

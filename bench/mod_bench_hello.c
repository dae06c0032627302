/*
 * mod_bench_hello.c - httpd's own ceiling for a generated body, for bench/run.
 *
 * The handler "bench-hello" answers exactly what bench/hello.c answers, but
 * inside httpd, with no gateway and no application: what is left is the
 * cost of httpd itself (connection, request parsing, filters, writing).
 *   GET            "Hello, world\n"
 *   GET ?size=N    N bytes of the bench pattern (63 letters + '\n', period 64)
 *   with a body    "len=<n> fnv=<FNV-1a 32, 8 hex>\n" after reading it all
 *                  ("len=<n> fnv=-\n", nothing hashed, with X-Bench-No-Hash: 1)
 * Bodies are immortal buckets over one static 64 KiB buffer: no copy, no
 * allocation per byte.  Built by bench/run with apxs; not part of the module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_protocol.h"
#include "apr_buckets.h"
#include "apr_strings.h"

#define CHUNK (64 * 1024)

static const char hello[] = "Hello, world\n";
static char chunk[CHUNK];

static apr_off_t query_size(const char *qs)
{
    const char *p = qs;
    while (p && *p) {
        if (strncmp(p, "size=", 5) == 0) {
            char *end;
            long long n = strtoll(p + 5, &end, 10);
            return (end != p + 5 && n >= 0) ? (apr_off_t)n : -1;
        }
        p = strchr(p, '&');
        if (p)
            p++;
    }
    return -1;
}

static int answer_body(request_rec *r)
{
    int rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK)
        return rc;
    /* X-Bench-No-Hash: 1 (bench/post.lua's timed requests): read all, hash
     * nothing, as bench/hello.c does */
    const char *no_hash = apr_table_get(r->headers_in, "X-Bench-No-Hash");
    int hash = !(no_hash && strcmp(no_hash, "1") == 0);
    apr_uint32_t h = 2166136261u;
    apr_off_t total = 0;
    if (ap_should_client_block(r)) {
        char buf[8192];
        long n;
        while ((n = ap_get_client_block(r, buf, sizeof buf)) > 0) {
            for (long i = 0; hash && i < n; i++) {
                h ^= (unsigned char)buf[i];
                h *= 16777619u;
            }
            total += n;
        }
        if (n < 0)
            return HTTP_BAD_REQUEST;
    }
    char *line = hash ? apr_psprintf(r->pool, "len=%" APR_OFF_T_FMT " fnv=%08x\n", total, (unsigned)h)
                      : apr_psprintf(r->pool, "len=%" APR_OFF_T_FMT " fnv=-\n", total);
    ap_set_content_type(r, "text/plain");
    ap_set_content_length(r, (apr_off_t)strlen(line));
    ap_rputs(line, r);
    return OK;
}

static int bench_hello_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "bench-hello") != 0)
        return DECLINED;
    apr_table_setn(r->headers_out, "X-Hello-Pid",
                   apr_psprintf(r->pool, "%ld", (long)getpid()));
    if (r->method_number == M_POST)
        return answer_body(r);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;

    apr_off_t n = query_size(r->args);
    ap_set_content_type(r, "text/plain");
    ap_set_content_length(r, n >= 0 ? n : (apr_off_t)sizeof hello - 1);
    if (r->header_only)
        return OK;

    apr_bucket_alloc_t *ba = r->connection->bucket_alloc;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, ba);
    if (n < 0) {
        APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(hello, sizeof hello - 1, ba));
    } else {
        int queued = 0;
        while (n > 0) {
            apr_size_t k = n > CHUNK ? CHUNK : (apr_size_t)n;
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_immortal_create(chunk, k, ba));
            n -= (apr_off_t)k;
            if (++queued == 16 && n > 0) {      /* hand over 1 MiB at a time */
                if (ap_pass_brigade(r->output_filters, bb) != APR_SUCCESS)
                    return AP_FILTER_ERROR;
                apr_brigade_cleanup(bb);
                queued = 0;
            }
        }
    }
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS ? OK : AP_FILTER_ERROR;
}

static void bench_hello_register(apr_pool_t *p)
{
    for (int i = 0; i < CHUNK; i++)
        chunk[i] = (i % 64 == 63) ? '\n' : (char)('a' + (i % 64) % 26);
    ap_hook_handler(bench_hello_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA bench_hello_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, bench_hello_register
};

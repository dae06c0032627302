// The one include shim for httpd and APR headers: every glue file includes
// this instead of httpd headers directly, so module-wide macros
// (APLOG_USE_MODULE) and include order live in one place.
#pragma once

#define APR_WANT_STRFUNC
#define APR_WANT_MEMFUNC
#include <apr_want.h>

#include <apr_buckets.h>
#include <apr_file_io.h>
#include <apr_lib.h>
#include <apr_network_io.h>
#include <apr_poll.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include <httpd.h>
#include <ap_config.h>
#include <ap_mmn.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <ap_mpm.h>
#include <mpm_common.h>
#include <scoreboard.h>
#include <util_script.h>

#include <apr_optional_hooks.h>
#include <mod_status.h>

extern "C" {
extern module AP_MODULE_DECLARE_DATA fastcgi_module;
}

#ifdef APLOG_USE_MODULE
APLOG_USE_MODULE(fastcgi);
#endif

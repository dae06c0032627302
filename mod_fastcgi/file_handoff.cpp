// See file_handoff.hpp.
#include "file_handoff.hpp"

#include <climits>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "dir_config.hpp"
#include "fastcgi/app_options.hpp"
#include "fastcgi/handoff_path.hpp"

namespace fastcgi::httpd {

namespace {

constexpr const char* kSendfileHeader = "X-Sendfile";
constexpr const char* kAccelHeader = "X-Accel-Redirect";

/// A refusal's status from the errno of realpath() or stat(): a path that
/// is not there is 404, anything else (EACCES, ELOOP, ...) 403.
int status_for_errno(int e) { return e == ENOENT || e == ENOTDIR ? HTTP_NOT_FOUND : HTTP_FORBIDDEN; }

}  // namespace

bool FileHandoff::claim(const HeaderList& headers) {
    const Header* sendfile = nullptr;
    const Header* accel = nullptr;
    for (const Header& h : headers) {
        if (iequals(h.name, kSendfileHeader)) sendfile = &h;  // the last one wins, as for Status
        else if (iequals(h.name, kAccelHeader)) accel = &h;
        else if (iequals(h.name, "Content-Type")) app_content_type_ = true;
    }
    if (!sendfile && !accel) return false;
    for (apr_table_t* t : {r_->headers_out, r_->err_headers_out}) {
        apr_table_unset(t, kSendfileHeader);
        apr_table_unset(t, kAccelHeader);
    }
    // Only a response that names a file or a URI looks at the settings.
    const DirConfig* dir = dir_config_of(r_);
    settings_ = effective_handoff(app_.config.handoff, dir ? dir->handoff : HandoffDirConfig{});
    const HandoffSettings& cfg = settings_;
    if (sendfile && cfg.x_sendfile) {
        kind_ = Kind::Sendfile;
        value_ = sendfile->value;
    } else if (accel && cfg.x_accel_redirect) {
        kind_ = Kind::AccelRedirect;
        value_ = accel->value;
    }
    const char* app = app_.config.filename.c_str();
    if (sendfile && !cfg.x_sendfile)
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r_, "FastCGI: server \"%s\" sent %s but X-Sendfile is off (-x-sendfile, FastCgiXSendfile): header dropped",
                      app, kSendfileHeader);
    if (accel && (!cfg.x_accel_redirect || kind_ == Kind::Sendfile))
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r_, "FastCGI: server \"%s\" sent %s but %s: header dropped", app,
                      kAccelHeader, cfg.x_accel_redirect ? "X-Sendfile is served instead" : "X-Accel-Redirect is off (-x-accel-redirect, FastCgiXAccelRedirect)");
    return kind_ != Kind::None;
}

int FileHandoff::refuse(int status, apr_status_t rv, const char* why) {
    ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r_, "FastCGI: server \"%s\": %s \"%s\" refused: %s",
                  app_.config.filename.c_str(), kind_ == Kind::Sendfile ? kSendfileHeader : kAccelHeader,
                  value_.c_str(), why);
    r_->status = HTTP_OK;  // httpd builds its own error page
    r_->status_line = nullptr;
    return status;
}

/// What the file (or the redirect's target) sets: the app's versions of
/// these would contradict it.
void FileHandoff::drop_app_file_headers() {
    for (apr_table_t* t : {r_->headers_out, r_->err_headers_out})
        for (const char* name : {"ETag", "Last-Modified", "Content-Range", "Accept-Ranges", "Location"})
            apr_table_unset(t, name);
}

int FileHandoff::serve() {
    // Whatever the client still sends is not for the file or the target.
    ap_discard_request_body(r_);
    drop_app_file_headers();
    return kind_ == Kind::Sendfile ? send_file() : accel_redirect();
}

int FileHandoff::send_file() {
    const std::vector<SendfileRoot>& roots = *settings_.roots;
    const SendfileVerdict verdict = check_sendfile_path(value_, roots);
    if (verdict.refusal != HandoffRefusal::None)
        return refuse(HTTP_FORBIDDEN, 0, std::string(to_string(verdict.refusal)).c_str());

    char real[PATH_MAX];
    if (!::realpath(value_.c_str(), real)) {
        const int e = errno;
        return refuse(status_for_errno(e), APR_FROM_OS_ERROR(e),
                      e == EACCES ? "not readable by httpd's user"
                      : status_for_errno(e) == HTTP_NOT_FOUND ? "no such file"
                                                               : "cannot resolve the path");
    }
    if (!real_path_allowed(real, roots, verdict.root))
        return refuse(HTTP_FORBIDDEN, 0,
                      apr_psprintf(r_->pool, "a symlink leads outside the allowed roots (to \"%s\")", real));

    apr_finfo_t before;
    apr_status_t rv = apr_stat(&before, real, APR_FINFO_TYPE | APR_FINFO_INODE | APR_FINFO_DEV, r_->pool);
    if (rv != APR_SUCCESS && rv != APR_INCOMPLETE)
        return refuse(APR_STATUS_IS_ENOENT(rv) ? HTTP_NOT_FOUND : HTTP_FORBIDDEN, rv, "stat() failed");
    // Never open a directory, FIFO or device (a FIFO would block the open).
    if (before.filetype == APR_DIR) return refuse(HTTP_FORBIDDEN, 0, "is a directory");
    if (before.filetype != APR_REG) return refuse(HTTP_FORBIDDEN, 0, "not a regular file");

    auto* core = static_cast<core_dir_config*>(ap_get_core_module_config(r_->per_dir_config));
    apr_file_t* fd = nullptr;
    const char* path = apr_pstrdup(r_->pool, real);
    rv = apr_file_open(&fd, path, APR_READ | APR_BINARY | AP_SENDFILE_ENABLED(core->enable_sendfile), 0, r_->pool);
    if (rv != APR_SUCCESS)
        return refuse(APR_STATUS_IS_EACCES(rv) ? HTTP_FORBIDDEN : status_for_errno(APR_TO_OS_ERROR(rv)), rv,
                      APR_STATUS_IS_EACCES(rv) ? "not readable by httpd's user" : "open() failed");
    apr_finfo_t finfo;
    rv = apr_file_info_get(&finfo, APR_FINFO_NORM, fd);
    if ((rv != APR_SUCCESS && rv != APR_INCOMPLETE) || finfo.filetype != APR_REG || finfo.inode != before.inode ||
        finfo.device != before.device) {
        apr_file_close(fd);
        return refuse(HTTP_FORBIDDEN, rv, "the file changed while it was opened");
    }

    // From here on httpd treats the request as one for a static file.
    r_->filename = const_cast<char*>(path);
    r_->finfo = finfo;
    r_->finfo.fname = path;
    if (!app_content_type_) {
        const char* handler = r_->handler;
        r_->content_type = nullptr;
        ap_run_type_checker(r_);  // mod_mime: type, encoding, language from the file name
        r_->handler = handler;
    }
    r_->mtime = 0;
    ap_update_mtime(r_, finfo.mtime);
    ap_set_last_modified(r_);
    ap_set_etag(r_);
    ap_set_accept_ranges(r_);
    ap_set_content_length(r_, finfo.size);
    if (const int cond = ap_meets_conditions(r_); cond != OK) {
        apr_file_close(fd);
        r_->status = cond;
        return cond;
    }

    apr_bucket_alloc_t* ba = r_->connection->bucket_alloc;
    apr_bucket_brigade* bb = apr_brigade_create(r_->pool, ba);
    apr_bucket* file = apr_brigade_insert_file(bb, fd, 0, finfo.size, r_->pool);
#if APR_HAS_MMAP
    if (core->enable_mmap == ENABLE_MMAP_OFF) apr_bucket_file_enable_mmap(file, 0);
#else
    (void)file;
#endif
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(ba));
    // Range (the byterange filter), sendfile or mmap (the core output
    // filter) happen below us as for any static file.
    return ap_pass_brigade_fchk(r_, bb, "FastCGI: sending the X-Sendfile file of server \"%s\" failed",
                                app_.config.filename.c_str());
}

int FileHandoff::accel_redirect() {
    if (const HandoffRefusal ref = check_accel_uri(value_); ref != HandoffRefusal::None)
        return refuse(HTTP_FORBIDDEN, 0, std::string(to_string(ref)).c_str());
    // As for Location: the target runs as a GET without a body; the app's
    // other headers (err_headers_out) go along.
    r_->method = "GET";
    r_->method_number = M_GET;
    apr_table_unset(r_->headers_in, "Content-Length");
    apr_table_unset(r_->headers_in, "Transfer-Encoding");
    apr_table_setn(r_->notes, kAccelRedirectNote, "1");
    ap_internal_redirect(apr_pstrdup(r_->pool, value_.c_str()), r_);
    return OK;
}

}  // namespace fastcgi::httpd

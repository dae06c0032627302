// Dynamic applications, seen from a request: a fastcgi-script file that no
// FastCgiServer or FastCgiExternalServer defines. The request checks the
// file as the original did (404, 403, ExecCGI), asks the process manager to
// start it when its socket is missing, waits for it (retrying the connect,
// telling the PM every -startDelay that it is still waiting) and reports
// the request's service time when done. Settings come from FastCgiConfig.
#pragma once

#include "app_registry.hpp"
#include "exchange.hpp"
#include "fastcgi/pm_message.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

class DynamicApp {
public:
    /// Checks the file `path` (described by `finfo`) as a dynamic app for
    /// `r`; `need_execcgi` for a handler (an authorizer app does not need
    /// Options ExecCGI). On failure `status` is the HTTP status (and one
    /// line is logged) and valid() is false.
    DynamicApp(request_rec* r, const char* path, const apr_finfo_t& finfo, bool need_execcgi, int& status);

    bool valid() const noexcept { return app_ != nullptr; }
    const App& app() const noexcept { return *app_; }

    /// Asks the PM to start the app if needed (-autoUpdate included) and
    /// returns how the exchange should wait for it.
    Exchange::Waiting prepare();

    /// After the exchange: tell the PM how long the request was served.
    void done(apr_time_t connected_at);

private:
    void send(PmMessageType type, std::uint64_t service_us = 0);

    request_rec* r_;
    App* app_ = nullptr;
    std::string user_ = "-", group_ = "-";
    apr_time_t mtime_ = 0;  ///< the app file's, for -autoUpdate
};

}  // namespace fastcgi::httpd

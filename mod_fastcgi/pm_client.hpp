// The httpd side of the process manager: starting it from post_config with
// what the configuration defines, and sending it datagrams from the
// children (non-blocking: a message that cannot be sent at once is dropped
// and the sender logs it at debug level; a child never waits for the PM).
#pragma once

#include "fastcgi/pm_message.hpp"
#include "httpd.hpp"

namespace fastcgi::httpd {

/// post_config, after prepare_ipc_dir(): forks the process manager
/// (skipped in httpd's first, configuration-checking pass).
int start_process_manager(apr_pool_t* pconf, server_rec* s);

/// child_init: opens this child's socket for messages to the PM.
void open_pm_channel(apr_pool_t* pchild);

/// Sends `m` to the PM; false when it could not be sent now.
bool send_to_pm(const PmMessage& m);

}  // namespace fastcgi::httpd

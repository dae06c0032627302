// The module's command table (see directives.cpp).
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {
extern const command_rec kCommands[];
}

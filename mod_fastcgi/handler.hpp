// Request hooks of the responder role (see handler.cpp).
#pragma once

#include "httpd.hpp"

namespace fastcgi::httpd {
int fastcgi_handler(request_rec* r);
int fastcgi_fixups(request_rec* r);
}

// The process manager logs through httpd's error log (its stderr is the
// main server's error log); this is its only httpd dependency.
#pragma once

#include "../mod_fastcgi/httpd.hpp"

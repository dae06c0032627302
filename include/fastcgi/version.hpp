// The module's version, as shown in the Server banner and SERVER_SOFTWARE.
#pragma once

#define FASTCGI_VERSION "3.0.0-dev"

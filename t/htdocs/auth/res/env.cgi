#!/bin/sh
# CGI behind the authorizer roles: prints its environment, sorted
printf 'Content-Type: text/plain\r\n\r\n'
/usr/bin/env | /usr/bin/sort

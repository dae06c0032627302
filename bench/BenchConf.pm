# BenchConf.pm - the config files of bench/run: one httpd.conf per row (all
# alike but for the row's <VirtualHost>) and the throw-away nginx.conf.
package BenchConf;
use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(httpd_conf_text nginx_conf_text);

# httpd_conf_text(tmp, slug, user_lines, moddir, inproc_so, app_procs,
#                 [ours_sym, ours_so], [name, port, docroot, vhost])
sub httpd_conf_text {
    my (%o) = @_;
    my ($TMP, $sl) = @o{qw(tmp slug)};
    my $c = <<EOF;
ServerRoot "$TMP"
ServerName 127.0.0.1
DefaultRuntimeDir "$TMP/run/$sl"
PidFile "$TMP/run/$sl/httpd.pid"
ErrorLog "$TMP/logs/$sl.error_log"
LogLevel warn
$o{user_lines}
LoadModule mpm_event_module $o{moddir}/mod_mpm_event.so
LoadModule authz_core_module $o{moddir}/mod_authz_core.so
LoadModule mime_module $o{moddir}/mod_mime.so
LoadModule proxy_module $o{moddir}/mod_proxy.so
LoadModule proxy_fcgi_module $o{moddir}/mod_proxy_fcgi.so
LoadModule fcgid_module $o{moddir}/mod_fcgid.so
LoadModule bench_hello_module $o{inproc_so}
EOF
    $c .= "LoadModule $o{ours_sym} $o{ours_so}\nFastCgiIpcDir \"$TMP/fastcgi/$sl\"\n" if $o{ours_so};
    $c .= <<EOF;
# static worker pool: 2 processes x 64 threads, no process churn during a run
StartServers 2
ServerLimit 2
ThreadLimit 64
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 64
MaxSpareThreads 128
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 15
Timeout 30
TypesConfig /etc/mime.types
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory "$TMP/htdocs">
    Options +ExecCGI
    Require all granted
</Directory>
# mod_fcgid spawns the same binary itself, APP_PROCS processes, kept alive
FcgidIPCDir "$TMP/fcgid/$sl"
FcgidProcessTableFile "$TMP/run/$sl/fcgid_shm"
FcgidMaxProcesses $o{app_procs}
FcgidMaxProcessesPerClass $o{app_procs}
FcgidMinProcessesPerClass $o{app_procs}
FcgidMaxRequestsPerProcess 0
FcgidIdleTimeout 0
FcgidProcessLifeTime 0
FcgidIdleScanInterval 600
FcgidBusyScanInterval 600
FcgidErrorScanInterval 600
FcgidZombieScanInterval 600
FcgidSpawnScoreUpLimit 100
FcgidIOTimeout 60
FcgidMaxRequestLen 4194304
EOF
    return $c unless defined $o{vhost};
    (my $body = $o{vhost}) =~ s/^/    /mg;
    return $c . <<EOF;
# row: $o{name}
Listen 127.0.0.1:$o{port}
<VirtualHost 127.0.0.1:$o{port}>
    DocumentRoot "$o{docroot}"
$body
</VirtualHost>
EOF
}


# nginx_conf_text(dir, user, app, keepalive, port, docroot)
sub nginx_conf_text {
    my (%o) = @_;
    my $n = $o{dir};
    my $user = $o{user} ? "user $o{user} $o{user};" : '';
    return <<EOF;
# throw-away nginx for bench/run: 2 workers like httpd's 2 processes
$user
worker_processes 2;
daemon off;
pid $n/nginx.pid;
error_log $n/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    default_type text/plain;
    client_body_temp_path $n/body;
    fastcgi_temp_path $n/fastcgi;
    proxy_temp_path $n/proxy;
    uwsgi_temp_path $n/uwsgi;
    scgi_temp_path $n/scgi;
    client_max_body_size 4m;
    client_body_buffer_size 2m;
    keepalive_requests 1000000;
    upstream hello {
        server $o{app};
        keepalive $o{keepalive};
    }
    server {
        listen 127.0.0.1:$o{port};
        location / {
            fastcgi_pass hello;
            fastcgi_keep_conn on;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
            fastcgi_param SCRIPT_FILENAME $o{docroot}\$fastcgi_script_name;
            fastcgi_param REQUEST_URI \$request_uri;
            fastcgi_param DOCUMENT_URI \$document_uri;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param REMOTE_PORT \$remote_port;
            fastcgi_param SERVER_ADDR \$server_addr;
            fastcgi_param SERVER_PORT \$server_port;
            fastcgi_param SERVER_NAME \$server_name;
        }
    }
}
EOF
}

1;

<?php
// env.php -- run by "php-cgi -b SOCKET"; the FastCgiExternalServer filename is
// this file, so SCRIPT_FILENAME points here.
// Body: every $_SERVER entry that is a string, as NAME=VALUE lines, sorted.
// For requests with a body: X-Body-MD5 (md5 of php://input) and X-Body-Length.
$body = file_get_contents('php://input');
if ($_SERVER['REQUEST_METHOD'] !== 'GET' && $_SERVER['REQUEST_METHOD'] !== 'HEAD') {
    header('X-Body-MD5: ' . md5($body));
    header('X-Body-Length: ' . strlen($body));
}
header('Content-Type: text/plain');
$vars = $_SERVER;
ksort($vars);
foreach ($vars as $k => $v) {
    if (is_string($v) || is_int($v)) {
        echo $k, '=', $v, "\n";
    }
}

<?php
// Sample PHP page served by php-cgi through mod_fastcgi (FastCgiExternalServer).
header('Content-Type: text/html; charset=utf-8');
$n = isset($_GET['name']) ? htmlspecialchars($_GET['name']) : 'world';
?>
<!doctype html>
<title>mod_fastcgi demo</title>
<h1>Hello, <?= $n ?>!</h1>
<p>This page was produced by <code>php-cgi</code> (pid <?= getmypid() ?>), a persistent
FastCGI application, behind Apache httpd <?= htmlspecialchars($_SERVER['SERVER_SOFTWARE']) ?>.</p>
<ul>
<?php foreach (['GATEWAY_INTERFACE','SCRIPT_NAME','PATH_INFO','QUERY_STRING','REQUEST_METHOD','REMOTE_ADDR'] as $k): ?>
  <li><code><?= $k ?></code> = <code><?= htmlspecialchars($_SERVER[$k] ?? '') ?></code></li>
<?php endforeach; ?>
</ul>
<form method="post" action="hello.php"><input name="name" placeholder="your name"> <button>POST</button></form>
<?php if ($_SERVER['REQUEST_METHOD'] === 'POST') echo '<p>POST body: ', htmlspecialchars(file_get_contents('php://input')), '</p>'; ?>

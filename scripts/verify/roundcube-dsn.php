<?php
// Roundcube's database connection from its configuration, for scripts/verify/managed-postgres.ts:
// the image's configuration (`db_dsnw` as docker-entrypoint.sh writes it, from IMAGE_DSNW), then the
// platform's file (argv[1]) included after it as the image does, then the DSN turned into a PDO
// connection the way Roundcube 1.7.3 does: rcube_db::parse_dsn (program/lib/Roundcube/rcube_db.php,
// the TCP part, ported line for line) and rcube_db_pgsql::dsn_string (db/pgsql.php: host, port,
// dbname and the libpq options it passes through), PDO given the user and password apart
// (rcube_db::dsn_connect). Prints the PDO DSN (without the password), the session's user and
// whether it runs over TLS; fails when the connection does.
$config = ['db_dsnw' => getenv('IMAGE_DSNW'), 'db_dsnr' => ''];
include $argv[1];

function parse_dsn($dsn)
{
    $parsed = [];
    $pos = strpos($dsn, '://');
    $str = substr($dsn, 0, $pos);
    $dsn = substr($dsn, $pos + 3);
    $parsed['phptype'] = $str;
    if (($at = strrpos($dsn, '@')) !== false) {
        $str = substr($dsn, 0, $at);
        $dsn = substr($dsn, $at + 1);
        if (($pos = strpos($str, ':')) !== false) {
            $parsed['username'] = rawurldecode(substr($str, 0, $pos));
            $parsed['password'] = rawurldecode(substr($str, $pos + 1));
        } else {
            $parsed['username'] = rawurldecode($str);
        }
    }
    if (str_contains($dsn, '/')) {
        [$proto_opts, $dsn] = explode('/', $dsn, 2);
    } else {
        $proto_opts = $dsn;
        $dsn = null;
    }
    $proto_opts = rawurldecode($proto_opts);
    if (str_contains($proto_opts, ':')) {
        [$proto_opts, $parsed['port']] = explode(':', $proto_opts);
    }
    if (strlen($proto_opts)) {
        $parsed['hostspec'] = trim($proto_opts, '[]');
    }
    if ($dsn) {
        if (($pos = strpos($dsn, '?')) === false) {
            $parsed['database'] = rawurldecode($dsn);
        } else {
            $parsed['database'] = rawurldecode(substr($dsn, 0, $pos));
            $dsn = substr($dsn, $pos + 1);
            $opts = str_contains($dsn, '&') ? explode('&', $dsn) : [$dsn];
            foreach ($opts as $opt) {
                [$key, $value] = explode('=', $opt);
                if (!array_key_exists($key, $parsed) || $parsed[$key] === false) {
                    $parsed[$key] = rawurldecode($value);
                }
            }
        }
        $parsed['database'] = preg_replace('/;.*$/', '', $parsed['database']);
    }
    return $parsed;
}

function dsn_string($dsn)
{
    $params = [];
    if (isset($dsn['hostspec'])) {
        $params[] = 'host=' . $dsn['hostspec'];
    }
    if (isset($dsn['port'])) {
        $params[] = 'port=' . $dsn['port'];
    }
    if (isset($dsn['database'])) {
        $params[] = 'dbname=' . $dsn['database'];
    }
    foreach (['application_name', 'sslmode', 'sslcert', 'sslkey', 'sslrootcert', 'sslcrl', 'sslcompression', 'service'] as $param) {
        if (isset($dsn[$param])) {
            $params[] = $param . '=' . $dsn[$param];
        }
    }
    return 'pgsql:' . implode(';', $params);
}

$dsn = parse_dsn($config['db_dsnw']);
$pdo_dsn = dsn_string($dsn);
$pdo = new PDO($pdo_dsn, $dsn['username'] ?? null, $dsn['password'] ?? null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$row = $pdo->query("SELECT current_user, CASE WHEN ssl THEN 'tls' ELSE 'plain' END FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
    ->fetch(PDO::FETCH_NUM);
echo json_encode(['pdo_dsn' => $pdo_dsn, 'user' => $row[0], 'connection' => $row[1]]), "\n";

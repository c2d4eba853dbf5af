/* URL parsing and connection-string building, table-driven, no database. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../drivers/dialect.h"
#include "alloc.h"
#include "url.h"

#define PGD_BASE                                                                                   \
    "Protocol=7.4-0;BoolsAsChar=0;UseServerSidePrepare=1;ByteaAsLongVarBinary=1;CommLog=0;Debug="  \
    "0;" PG_LIBPQ_DEFAULTS "};"
#define PGD PGD_BASE "SSLMode=require;"     /* a remote host */
#define PGD_LOCAL PGD_BASE "SSLMode=prefer;" /* loopback, a Unix socket */
#define PG_LIBPQ_DEFAULTS                                                                          \
    "pqopt={keepalives_idle='30' keepalives_interval='10' keepalives_count='3' "                  \
    "tcp_user_timeout='30000'"
#define SQD "Timeout=5000;StepAPI=1;FKSupport=1;NoWCHAR=1;BigInt=1;"
#define SQF "JournalMode=WAL;SyncPragma=NORMAL;"
#define MYD "CHARSET=utf8mb4;OPTION=2;FORCETLS=1;" /* sslmode=require to a remote host */

typedef struct url_case {
    const char *url;
    int code;            /* expected result                                */
    const char *connstr; /* with DRIVER=X (none for odbc), when code is 0  */
} url_case;

static const url_case cases[] = {
    /* SQLite */
    {"sqlite://", 0, "DRIVER=X;Database=:memory:;" SQD},
    {"sqlite:///:memory:", 0, "DRIVER=X;Database=:memory:;" SQD},
    {"sqlite:///rel.db", 0, "DRIVER=X;Database=rel.db;" SQF SQD},
    {"sqlite:////abs/path.db", 0, "DRIVER=X;Database=/abs/path.db;" SQF SQD},
    {"sqlite:///dir/sub/x.db", 0, "DRIVER=X;Database=dir/sub/x.db;" SQF SQD},
    {"sqlite:///with%20space.db", 0, "DRIVER=X;Database=with space.db;" SQF SQD},
    {"sqlite:///a%3Bb.db", 0, "DRIVER=X;Database={a;b.db};" SQF SQD},
    {"sqlite:///a+b.db", 0, "DRIVER=X;Database=a+b.db;" SQF SQD},
    {"SQLITE:///x.db", 0, "DRIVER=X;Database=x.db;" SQF SQD},
    {"sqlite+odbc:///x.db", 0, "DRIVER=X;Database=x.db;" SQF SQD},
    {"sqlite3:///x.db", 0, "DRIVER=X;Database=x.db;" SQF SQD},
    {"sqlite:///x.db?Timeout=100", 0,
     "DRIVER=X;Database=x.db;" SQF "StepAPI=1;FKSupport=1;NoWCHAR=1;BigInt=1;Timeout=100;"},
    {"sqlite:///x.db?JournalMode=DELETE", 0,
     "DRIVER=X;Database=x.db;SyncPragma=NORMAL;" SQD "JournalMode=DELETE;"},
    {"sqlite:///x.db?pool_size=3&pool_pre_ping=never", 0, "DRIVER=X;Database=x.db;" SQF SQD},
    {"sqlite:///%E2%82%AC.db", 0, "DRIVER=X;Database=\xE2\x82\xAC.db;" SQF SQD},
    /* PostgreSQL */
    {"postgresql://u:p@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD},
    {"postgres://u:p@h:5433/db", 0, "DRIVER=X;Server=h;Port=5433;Database=db;UID=u;PWD=p;" PGD},
    {"postgresql+odbc://u:p@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD},
    {"PostgreSQL://u:p@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD},
    {"postgresql://h/db", 0, "DRIVER=X;Server=h;Database=db;" PGD},
    {"postgresql://u@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;" PGD},
    {"postgresql://u:@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=;" PGD},
    {"postgresql://:p@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=;PWD=p;" PGD},
    {"postgresql://u:p@h:/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD},
    {"postgresql://u:p@h:65535/db", 0, "DRIVER=X;Server=h;Port=65535;Database=db;UID=u;PWD=p;" PGD},
    {"postgresql://u:p@[::1]:5432/db", 0,
     "DRIVER=X;Server=::1;Port=5432;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    {"postgresql://u:p@[::1]/db", 0, "DRIVER=X;Server=::1;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    /* TLS (README "TLS and credentials"): sslmode defaults to prefer on
     * loopback and require elsewhere; a value psqlODBC would turn into
     * disable is refused, so are modes that fall back to clear text over a
     * network; the files reach libpq through pqopt, Connector/ODBC as its
     * own keys */
    {"postgresql://u:p@127.0.0.1/db", 0, "DRIVER=X;Server=127.0.0.1;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    {"postgresql://u:p@localhost/db", 0, "DRIVER=X;Server=localhost;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    {"postgresql://u:p@%2Ftmp%2Fs/db", 0, "DRIVER=X;Server=/tmp/s;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    {"postgresql://u:p@127.0.0.1/db?sslmode=true", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?sslmode=Require", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?sslmode=", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?channel_binding=yes", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?sslmode=prefer", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?sslmode=allow", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1,h/db?sslmode=prefer", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?sslmode=disable", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD_BASE "SSLMode=disable;"},
    {"postgresql://u:p@h/db?sslmode=verify-full&sslrootcert=%2Fca.pem&sslcert=c.pem&sslkey=k.pem&"
     "sslcrl=r.pem&sslpassword=pass%20phrase&channel_binding=require",
     0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;Protocol=7.4-0;BoolsAsChar=0;"
     "UseServerSidePrepare=1;ByteaAsLongVarBinary=1;CommLog=0;Debug=0;" PG_LIBPQ_DEFAULTS
     " sslrootcert='/ca.pem' sslcert='c.pem' sslkey='k.pem' sslcrl='r.pem' sslpassword='pass "
     "phrase' channel_binding='require'};SSLMode=verify-full;"},
    {"mysql://u:p@127.0.0.1/db", 0, "DRIVER=X;SERVER=127.0.0.1;DATABASE=db;UID=u;PWD=p;" MYD},
    {"mysql://u:p@h/db?sslmode=disable&sslrootcert=ca.pem", 0,
     "DRIVER=X;SERVER=h;DATABASE=db;UID=u;PWD=p;CHARSET=utf8mb4;OPTION=2;"},
    {"mysql://u:p@h/db?sslmode=verify-full&sslrootcert=ca.pem&sslcert=c.pem&sslkey=k.pem&"
     "sslpassword=pp&sslcrl=r.pem",
     0,
     "DRIVER=X;SERVER=h;DATABASE=db;UID=u;PWD=p;CHARSET=utf8mb4;OPTION=2;SSLCA=ca.pem;"
     "SSLCERT=c.pem;SSLKEY=k.pem;SSLCRL=r.pem;TLSKEYPWD=pp;FORCETLS=1;SSLVERIFY=1;"},
    {"mysql://u:p@h/db?sslmode=verify-ca&sslrootcert=ca.pem", 0,
     "DRIVER=X;SERVER=h;DATABASE=db;UID=u;PWD=p;CHARSET=utf8mb4;OPTION=2;SSLCA=ca.pem;"
     "FORCETLS=1;"},
    {"mysql://u:p@127.0.0.1/db?sslmode=allow", DAL_EURL, NULL},
    {"mysql://u:p@h/db?sslmode=prefer", DAL_EURL, NULL},
    {"mysql://u:p@h/db?channel_binding=require", DAL_EURL, NULL},
    {"sqlite:///x.db?sslmode=require", DAL_EURL, NULL},
    /* pooler=: PostgreSQL only; transaction pooling uses the driver's own
     * parameter substitution and no psqlODBC cursors */
    {"postgresql://u:p@127.0.0.1/db?pooler=transaction", 0,
     "DRIVER=X;Server=127.0.0.1;Database=db;UID=u;PWD=p;Protocol=7.4-0;BoolsAsChar=0;"
     "UseServerSidePrepare=0;ByteaAsLongVarBinary=1;CommLog=0;Debug=0;" PG_LIBPQ_DEFAULTS
     "};SSLMode=prefer;"},
    {"postgresql://u:p@127.0.0.1/db?pooler=session", 0,
     "DRIVER=X;Server=127.0.0.1;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    {"postgresql://u:p@127.0.0.1/db?pooler=none", 0,
     "DRIVER=X;Server=127.0.0.1;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    {"postgresql://u:p@127.0.0.1/db?pooler=statement", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?pooler=transaction&UseDeclareFetch=1", DAL_EURL, NULL},
    {"mysql://u:p@127.0.0.1/db?pooler=transaction", DAL_EURL, NULL},
    /* host lists dal routes itself (hosts.c): MariaDB lists, read routing keys */
    {"mysql://u:p@127.0.0.1:1,127.0.0.1:2/db", 0,
     "DRIVER=X;SERVER=127.0.0.1;PORT=1;DATABASE=db;UID=u;PWD=p;" MYD},
    {"mysql://u:p@127.0.0.1:1,127.0.0.1:2/db?host_recheck=2.5&causal_reads=true", 0,
     "DRIVER=X;SERVER=127.0.0.1;PORT=1;DATABASE=db;UID=u;PWD=p;" MYD},
    {"mysql://u:p@127.0.0.1:1,/db", DAL_EURL, NULL},
    {"mssql://u:p@h1,h2/db", DAL_EURL, NULL},
    {"mysql://u:p@127.0.0.1/db?host_recheck=-1", DAL_EURL, NULL},
    {"mysql://u:p@127.0.0.1/db?load_balance_hosts=random", DAL_EURL, NULL},
    {"mysql://u:p@127.0.0.1/db?max_staleness_ms=100", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?causal_reads=true", DAL_EURL, NULL},
    {"sqlite:///x.db?host_recheck=1", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?load_balance_hosts=random&max_staleness_ms=500&host_recheck=1",
     0, "DRIVER=X;Server=127.0.0.1;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    {"postgresql://u:p@127.0.0.1/db?load_balance_hosts=yes", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?max_staleness_ms=0", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?pooler=transaction&max_staleness_ms=500", DAL_EURL, NULL},
    {"postgresql://u:p@127.0.0.1/db?isolation=serializable", 0,
     "DRIVER=X;Server=127.0.0.1;Database=db;UID=u;PWD=p;" PGD_LOCAL},
    {"postgresql://u:p@127.0.0.1/db?isolation=snapshot", DAL_EURL, NULL},
    /* password_file: one source of a password */
    {"postgresql://u@h/db?password_file=%2Frun%2Fpw", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;" PGD},
    {"postgresql://u:p@h/db?password_file=%2Frun%2Fpw", DAL_EURL, NULL},
    {"postgresql://u@h/db?password_file=", DAL_EURL, NULL},
    {"postgresql://u@h/db?password_file=a&password_file=b", DAL_EURL, NULL},
    {"sqlite:///x.db?password_file=a", DAL_EURL, NULL},
    {"postgresql://u:p@[2001:db8::7]:1/db", 0,
     "DRIVER=X;Server=2001:db8::7;Port=1;Database=db;UID=u;PWD=p;" PGD},
    {"postgresql://u:p%3Bx@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD={p;x};" PGD},
    {"postgresql://u:%7Bp%7D@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD={{p}}};" PGD},
    {"postgresql://u:a%3Db@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD={a=b};" PGD},
    {"postgresql://u:a%40b@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a@b;" PGD},
    {"postgresql://u:a@b@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a@b;" PGD},
    {"postgresql://u:a%3Ab@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a:b;" PGD},
    {"postgresql://u:a:b@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a:b;" PGD},
    {"postgresql://u:a%2Fb@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a/b;" PGD},
    {"postgresql://u:a%25b@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a%b;" PGD},
    {"postgresql://u:a%252Fb@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a%2Fb;" PGD},
    {"postgresql://u:a%3Fb@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a?b;" PGD},
    {"postgresql://u:a%23b@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a#b;" PGD},
    {"postgresql://u:%20p%20@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD={ p };" PGD},
    {"postgresql://u:a%20b@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a b;" PGD},
    {"postgresql://u:a+b@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=a+b;" PGD},
    {"postgresql://u:x%3BDatabase%3Dother@h/db", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD={x;Database=other};" PGD},
    {"postgresql://u:x%7D%3BDatabase%3Dother@h/db", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD={x}};Database=other};" PGD},
    {"postgresql://u:%3B%7B%7D%3D%40%3A%2F%25%3F%23%20@h/db", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD={;{}}=@:/%?# };" PGD},
    {"postgresql://J%C3%BCrgen:p@h/db", 0,
     "DRIVER=X;Server=h;Database=db;UID=J\xC3\xBCrgen;PWD=p;" PGD},
    {"postgresql://\xE7\x94\xA8\xE6\x88\xB7:p@h/db", 0,
     "DRIVER=X;Server=h;Database=db;UID=\xE7\x94\xA8\xE6\x88\xB7;PWD=p;" PGD},
    {"postgresql://u%3Bx:p@h/db", 0, "DRIVER=X;Server=h;Database=db;UID={u;x};PWD=p;" PGD},
    {"postgresql://u:p@h/my%20db", 0, "DRIVER=X;Server=h;Database=my db;UID=u;PWD=p;" PGD},
    {"postgresql://u:p@h%3Bx/db", 0, "DRIVER=X;Server={h;x};Database=db;UID=u;PWD=p;" PGD},
    {"postgresql://u:p@h/db?sslmode=require", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;Protocol=7.4-0;BoolsAsChar=0;"
     "UseServerSidePrepare=1;ByteaAsLongVarBinary=1;CommLog=0;Debug=0;" PG_LIBPQ_DEFAULTS
     "};SSLMode=require;"},
    {"postgresql://u:p@h/db?Protocol=7.4-2", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;BoolsAsChar=0;UseServerSidePrepare=1;"
     "ByteaAsLongVarBinary=1;CommLog=0;Debug=0;" PG_LIBPQ_DEFAULTS "};SSLMode=require;Protocol=7.4-2;"},
    {"postgresql://u:p@h/db?application_name=a%26b", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;Protocol=7.4-0;BoolsAsChar=0;"
     "UseServerSidePrepare=1;ByteaAsLongVarBinary=1;CommLog=0;Debug=0;" PG_LIBPQ_DEFAULTS
     " application_name='a&b'};SSLMode=require;"},
    /* libpq's keys reach libpq through pqopt, quoted its way; psqlODBC's own
     * pqopt comes after them */
    {"postgresql://u:p@h/db?options=-c%20x%3D1&target_session_attrs=read-write&tcp_user_timeout="
     "500&pqopt=keepalives_count%3D3&application_name=it's%5C",
     0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;Protocol=7.4-0;BoolsAsChar=0;"
     "UseServerSidePrepare=1;ByteaAsLongVarBinary=1;CommLog=0;Debug=0;"
     "pqopt={keepalives_idle='30' keepalives_interval='10' keepalives_count='3' "
     "options='-c x=1' target_session_attrs='read-write' tcp_user_timeout='500' "
     "application_name='it\\'s\\\\' keepalives_count=3};SSLMode=require;"},
    {"postgresql://u:p@h/db?connect_timeout=3&query_timeout=0", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD},
    /* keys in dal's spelling that mean nothing are errors, not silence */
    {"postgresql://u:p@h/db?pool_szie=3", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?aplication_name=x", DAL_EURL, NULL},
    {"sqlite:///x.db?application_name=x", DAL_EURL, NULL},
    {"sqlite:///x.db?statement_timeout=5", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?host=other", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?connect_timeout=0", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?query_timeout=-1", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?ConnSettings=a%3Bb", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD "ConnSettings={a;b};"},
    {"postgresql://u:p@h/db?ConnSettings=%7D", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD "ConnSettings={}}};"},
    {"postgresql://u:p@h/db?ConnSettings=a%3BPWD%3Dz", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD "ConnSettings={a;PWD=z};"},
    {"postgresql://u:p@h/db?Ksqo", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD "Ksqo=;"},
    {"postgresql://u:p@h/db?Lie=1&&Parse=2", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD "Lie=1;Parse=2;"},
    {"postgresql://u:p@h/db?Description=x+y", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD "Description=x+y;"},
    /* a key the tested driver does not know would be ignored by it: refused,
     * in any spelling; another driver (driver=) keeps its own keys */
    {"postgresql://u:p@h/db?poolsize=5", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?pooler=transactions", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?UseDeclareFech=1", DAL_EURL, NULL},
    {"postgresql://u:p@h/db?usedeclarefetch=1", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD "usedeclarefetch=1;"},
    {"sqlite:///x.db?stepapi=0&Timeout=1", 0,
     "DRIVER=X;Database=x.db;JournalMode=WAL;SyncPragma=NORMAL;FKSupport=1;NoWCHAR=1;"
     "BigInt=1;stepapi=0;Timeout=1;"},
    {"sqlite:///x.db?Timout=1", DAL_EURL, NULL},
    {"mysql://u:p@h/db?SSLVERFY=1", DAL_EURL, NULL},
    {"mysql://u:p@h/db?driver=Other&WhatEver=1", 0,
     "DRIVER=X;SERVER=h;DATABASE=db;UID=u;PWD=p;" MYD "WhatEver=1;"},
    {"postgresql://u:p@h/"
     "db?pool_size=10&max_overflow=0&pool_timeout=1.5&pool_recycle=3600&pool_pre_ping=true",
     0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD},
    {"postgresql://u:p@h/db?driver=PostgreSQL%20ANSI", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;" PGD},
    /* MySQL / MariaDB */
    {"mysql://u:p@h:3306/db", 0, "DRIVER=X;SERVER=h;PORT=3306;DATABASE=db;UID=u;PWD=p;" MYD},
    {"mariadb://u:p@h/db", 0, "DRIVER=X;SERVER=h;DATABASE=db;UID=u;PWD=p;" MYD},
    {"mysql+odbc://u:p@h/db", 0, "DRIVER=X;SERVER=h;DATABASE=db;UID=u;PWD=p;" MYD},
    {"mysql://u:p@h", 0, "DRIVER=X;SERVER=h;UID=u;PWD=p;" MYD},
    {"mysql://u:p@h/db?CHARSET=latin1", 0,
     "DRIVER=X;SERVER=h;DATABASE=db;UID=u;PWD=p;OPTION=2;FORCETLS=1;CHARSET=latin1;"},
    /* SQL Server */
    {"mssql://u:p@h:1433/db", 0, "DRIVER=X;Server=h,1433;Database=db;UID=u;PWD=p;"},
    {"mssql://u:p@h/db", 0, "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;"},
    {"mssql+odbc://u:p@h/db?Encrypt=no", 0,
     "DRIVER=X;Server=h;Database=db;UID=u;PWD=p;Encrypt=no;"},
    /* DSNs and raw strings */
    {"odbc://MyDSN", 0, "DSN=MyDSN;"},
    {"odbc://u:p@MyDSN", 0, "DSN=MyDSN;UID=u;PWD=p;"},
    {"odbc://My%20DSN", 0, "DSN=My DSN;"},
    {"odbc://u:p%3B@MyDSN", 0, "DSN=MyDSN;UID=u;PWD={p;};"},
    {"odbc:///?odbc_connect=DRIVER%3D%7BSQLite3%7D%3BDatabase%3Dx.db", 0,
     "DRIVER={SQLite3};Database=x.db;"},
    {"odbc:///?odbc_connect=DSN%3Dx&Timeout=5", 0, "DSN=x;Timeout=5;"},
    /* Rejections */
    {"", DAL_EURL, NULL},
    {"nourl", DAL_EURL, NULL},
    {"://x", DAL_EURL, NULL},
    {"post gres://x", DAL_EURL, NULL},
    {"foo://x", DAL_EDRIVER, NULL},
    {"oracle://u:S3cr3t@h/db", DAL_EDRIVER, NULL},
    {"postgresql://u:S3cr3t%00@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t%zz@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t%4@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db%", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db%2", DAL_EURL, NULL},
    {"postgresql://u%00:S3cr3t@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?a=%00", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h:abc/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h:0/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h:65536/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h:123456/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h:-1/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db\n", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t\x01@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t\x7f@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t%0A@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t%1F@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/", DAL_EURL, NULL},
    {"postgresql:///db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/a/b", DAL_EURL, NULL},
    {"odbc://", DAL_EURL, NULL},
    {"odbc://DSN?odbc_connect=x", DAL_EURL, NULL},
    {"sqlite://host/x.db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?a=1&a=2", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?A=1&a=2", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?pool_size=1&pool_size=2", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?pool_size=0", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?pool_size=abc", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?pool_size=", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?pool_timeout=-1", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?pool_timeout=nan", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?pool_pre_ping=maybe", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?max_overflow=1.5", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?bad%3Bkey=1", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?bad%7Bkey=1", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?=1", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?Database=other", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?PWD=x", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?uid=x", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?FILEDSN=x", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?driver=a&DRIVER=b", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?dsn=x", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db?driver=", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@h/db#frag", DAL_EURL, NULL},
    {"postgresql://u:S3cr#t@h/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@[::1/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@[zz]/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@[]/db", DAL_EURL, NULL},
    {"postgresql://u:S3cr3t@[::1]x/db", DAL_EURL, NULL},
    {"mysql://u:S3cr3t@h/db?SERVER=evil", DAL_EURL, NULL},
};

Test(url, table)
{
    size_t n = sizeof cases / sizeof cases[0];
    cr_assert_geq(n, 80);
    for (size_t i = 0; i < n; i++) {
        const url_case *c = &cases[i];
        dal__url u;
        dal_error err = DAL_ERROR_INIT;
        int rc = dal__url_parse(c->url, &u, &err);
        cr_expect_eq(rc, c->code, "%s: got %s (%s), want %s", c->url, dal_code_name(rc),
                     err.message, dal_code_name(c->code));
        if (rc) {
            cr_expect_neq(err.message[0], '\0', "%s: empty message", c->url);
            cr_expect_null(strstr(err.message, "S3cr3t"), "%s: message shows the password: %s",
                           c->url, err.message);
            continue;
        }
        char *cs = NULL;
        const char *driver = u.dialect == &dal__dialect_odbc ? "" : "X";
        rc = dal__build_connstr(&u, driver, false, &cs, &err);
        cr_assert_eq(rc, 0);
        cr_expect_str_eq(cs, c->connstr, "%s", c->url);
        dal__free_secret(cs);
        dal__url_free(&u);
    }
}

Test(url, owned_keys_are_parsed)
{
    dal__url u;
    dal_error err = DAL_ERROR_INIT;
    int rc = dal__url_parse("postgresql://u:p@h/db?pool_size=7&max_overflow=0&pool_timeout=0.25&"
                            "pool_recycle=60&pool_pre_ping=2.5&driver=PostgreSQL%20ANSI",
                            &u, &err);
    cr_assert_eq(rc, 0, "%s", err.message);
    cr_expect(u.has_pool_size && u.pool_size == 7);
    cr_expect(u.has_max_overflow && u.max_overflow == 0);
    cr_expect(u.has_pool_timeout && u.pool_timeout == 0.25);
    cr_expect(u.has_pool_recycle && u.pool_recycle == 60);
    cr_expect(u.has_ping_idle && u.ping_idle == 2.5);
    cr_expect_str_eq(u.driver, "PostgreSQL ANSI");
    cr_expect_eq(u.nparams, 0);
    dal__url_free(&u);

    const char *pings[][2] = {{"true", "0"}, {"always", "0"}, {"false", "-1"}, {"never", "-1"}};
    for (size_t i = 0; i < 4; i++) {
        char url[128];
        snprintf(url, sizeof url, "sqlite://?pool_pre_ping=%s", pings[i][0]);
        cr_assert_eq(dal__url_parse(url, &u, &err), 0, "%s", url);
        cr_expect_eq(u.ping_idle, atof(pings[i][1]), "%s", url);
        dal__url_free(&u);
    }
}

Test(url, parts_are_decoded_once)
{
    dal__url u;
    dal_error err = DAL_ERROR_INIT;
    cr_assert_eq(
        dal__url_parse("postgresql://a%2541:b%2542@h%2Dx:15/d%2543?k%2D1=v%2545&driver=x", &u,
                       &err),
        0);
    cr_expect_str_eq(u.user, "a%41");
    cr_expect_str_eq(u.password, "b%42");
    cr_expect_str_eq(u.host, "h-x");
    cr_expect_eq(u.port, 15);
    cr_expect_str_eq(u.database, "d%43");
    cr_expect_str_eq(u.params[0].key, "k-1");
    cr_expect_str_eq(u.params[0].value, "v%45");
    dal__url_free(&u);
}

Test(url, absurdly_long_input_is_rejected)
{
    size_t n = DAL__URL_MAX + 100;
    char *url = malloc(n + 1);
    memcpy(url, "postgresql://u:p@h/", 19);
    memset(url + 19, 'a', n - 19);
    url[n] = '\0';
    dal__url u;
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(dal__url_parse(url, &u, &err), DAL_EURL);
    cr_expect_neq(strstr(err.message, "longer"), NULL, "%s", err.message);
    free(url);
    cr_expect_eq(dal__url_parse(NULL, &u, &err), DAL_EURL);
}

Test(url, errors_point_at_the_part)
{
    struct {
        const char *url, *part;
    } t[] = {
        {"postgresql://u:pw%zz@h/db", "password"},
        {"postgresql://u%zz:pw@h/db", "user name"},
        {"postgresql://u:pw@h/d%zz", "database name"},
        {"postgresql://u:pw@h/db?k%zz=1", "query key"},
        {"postgresql://u:pw@h/db?k=%zz", "query value"},
        {"postgresql://u:pw@h:99999/db", "port"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        dal__url u;
        dal_error err = DAL_ERROR_INIT;
        cr_expect_eq(dal__url_parse(t[i].url, &u, &err), DAL_EURL, "%s", t[i].url);
        cr_expect_neq(strstr(err.message, t[i].part), NULL, "%s: %s", t[i].url, err.message);
    }
}

Test(url, connection_string_mask_hides_passwords)
{
    struct {
        const char *in, *out;
    } t[] = {
        {"DRIVER=X;UID=u;PWD=secret;", "DRIVER=X;UID=u;PWD=***;"},
        {"PWD={se;c}}ret};Server=h;", "PWD=***;Server=h;"},
        {"password=x;pwd=y", "password=***;pwd=***"},
        {"DSN=a;Flag;PWD=z;", "DSN=a;Flag;PWD=***;"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        dal__buf b = {0};
        dal__connstr_mask(t[i].in, &b);
        cr_expect_str_eq(b.data ? b.data : "", t[i].out, "%s", t[i].in);
        dal__buf_free(&b);
    }
}

Test(url, a_mistyped_key_names_the_closest_known_one)
{
    struct {
        const char *url, *hint;
    } t[] = {
        {"postgresql://u:p@h/db?pool_szie=3", "did you mean pool_size?"},
        {"sqlite:///x.db?lazy_begn=true", "did you mean lazy_begin?"},
        {"postgresql://u:p@h/db?target_session_atrs=any", "did you mean target_session_attrs?"},
        {"sqlite:///x.db?application_name=x", "means nothing for sqlite URLs"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        dal__url u;
        dal_error err = DAL_ERROR_INIT;
        cr_expect_eq(dal__url_parse(t[i].url, &u, &err), DAL_EURL, "%s", t[i].url);
        cr_expect(strstr(err.message, t[i].hint), "%s: %s", t[i].url, err.message);
        dal__url_free(&u);
    }
    /* driver attributes in the driver's own spelling still pass through */
    dal__url u;
    dal_error err = DAL_ERROR_INIT;
    cr_expect_eq(dal__url_parse("sqlite:///x.db?StepAPI=0&Timeout=100&NoTXN=0", &u, &err), 0, "%s",
                 err.message);
    cr_expect_eq(u.nparams, 3);
    dal__url_free(&u);
}

/* psqlODBC's declare-fetch reads Fetch rows a round trip: a block-fetch
 * rowset must divide that, or every Fetch rows cost one round trip more. */
Test(url, postgresql_rowsets_divide_the_fetch_size)
{
    static const struct {
        const char *query;
        int rows; /* 0: dal's default */
    } fetches[] = {
        {"", 0}, /* Fetch=100: a 128-row rowset is one FETCH */
        {"?UseDeclareFetch=1&Fetch=2000", 125},
        {"?UseDeclareFetch=1&Fetch=1000", 125},
        {"?UseDeclareFetch=1&fetch=4096", 128},
        {"?UseDeclareFetch=1&A7=300", 100},
        {"?UseDeclareFetch=1&Fetch=128", 0},
        {"?UseDeclareFetch=1&Fetch=1009", 0}, /* prime */
        {"?UseDeclareFetch=1&Fetch=x", 0},
    };
    for (size_t i = 0; i < sizeof fetches / sizeof fetches[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "postgresql://u@h/db%s", fetches[i].query);
        dal__url u;
        dal_error err = DAL_ERROR_INIT;
        cr_assert_eq(dal__url_parse(text, &u, &err), 0, "%s: %s", text, err.message);
        int rows = dal__dialect_postgresql.rowset_rows(&u);
        cr_expect_eq(rows, fetches[i].rows, "%s: %d rows", text, rows);
        dal__url_free(&u);
    }
}

#include "config/configeditor.h"
#include "config/configfile.h"
#include "testsupport/testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::ErrorCode)
Q_DECLARE_METATYPE(std::optional<QString>)

// ConfigEditor::update (`ctl update-config`) writes into the engine's own option file, which
// the admin and other tools edit too. Its promise is that the file reads back byte for byte as
// it was, except for the one line it changes: comments, blank lines, unknown groups and keys,
// !include lines, line endings and a missing final newline all survive.
class tst_ConfigEditor : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void changeExisting_data();
    void changeExisting();
    void addNew_data();
    void addNew();
    void unset_data();
    void unset();
    void inForceInInclude_data();
    void inForceInInclude();
    void roundTrip_data();
    void roundTrip();
    void backup();
    void severalChangesOneBackup();
    void severalChangesAllOrNothing();
    void severalChangesThatChangeNothing();
    void symlinkedConfig();
    void permissionsKept();
    void ownerKept();
    void invalid_data();
    void invalid();
    void unreadable_data();
    void unreadable();

private:
    QString path(const QString &relative) const { return m_dir->filePath(relative); }

    QString write(const QString &relative, const QByteArray &bytes) const;
    static QByteArray contentOf(const QString &file);
    QStringList listing() const;

    std::unique_ptr<QTemporaryDir> m_dir;
};

// A my.cnf as distributions ship it and admins grow it: both comment styles, groups the
// engine ignores, options the proxy does not know, a value with a trailing comment and one
// in quotes, indentation, and an option without a value.
static const QByteArray MyCnf = "# /etc/mysql/my.cnf: the engine and its tools read this file\n"
                                "; maintained by hand, keep the comments\n"
                                "\n"
                                "[client]\n"
                                "port = 3306\n"
                                "socket = /run/mysqld/mysqld.sock\n"
                                "user = admin\n"
                                "\n"
                                "[mysqld]\n"
                                "    datadir = /var/lib/mysql\n"
                                "socket = /run/mysqld/mysqld.sock\n"
                                "http_proxy_port = 8080   # ws:// for Studio\n"
                                "ssl_cert = \"/etc/ssl/my certs/server.pem\"  # leaf first\n"
                                "innodb_buffer_pool_size=1G\n"
                                "skip-name-resolve\n"
                                "\n"
                                "# tuning for dumps below\n"
                                "\n"
                                "[mysqldump]\n"
                                "quick\n"
                                "max_allowed_packet = 64M\n"_ba;

// The same options in a [server] group, with the proxy's port spelled with hyphens.
static const QByteArray ServerCnf = "[server]\n"
                                    "https-proxy-port = 8443 # wss://\n"
                                    "  ssl_key=/etc/ssl/server.key\n"
                                    "ssl_cert = /etc/ssl/server.pem\n"
                                    "\n"
                                    "[client]\n"
                                    "user = admin\n"_ba;

// memsql.cnf as memsqlctl writes it: no groups at all.
static const QByteArray MemsqlCnf = "# memsql.cnf, written by memsqlctl\n"
                                    "port = 3306\n"
                                    "datadir = /var/lib/memsql/data\n"
                                    "; proxy\n"
                                    "http_proxy_port = 8080\n"
                                    "plancachedir = plancache\n"_ba;

static int modeOf(const QString &file)
{
    struct stat status
    { };

    if (::stat(QFile::encodeName(file).constData(), &status) != 0)
        return -1;
    return int(status.st_mode & 07777);
}

static QByteArray crlf(QByteArray bytes)
{
    return bytes.replace("\n", "\r\n");
}

static QByteArray withoutFinalNewline(QByteArray bytes)
{
    bytes.chop(bytes.endsWith("\r\n") ? 2 : 1);
    return bytes;
}

// bytes with the one line that reads before replaced by after.
static QByteArray replacingLine(
        const QByteArray &bytes, const QByteArray &before, const QByteArray &after)
{
    if (bytes.count(before) != 1)
        qFatal("\"%s\" is not exactly once in the test file", before.constData());
    return QByteArray(bytes).replace(before, after);
}

QString tst_ConfigEditor::write(const QString &relative, const QByteArray &bytes) const
{
    const QString file = path(relative);
    TestSupport::writeFile(file, bytes);
    return file;
}

QByteArray tst_ConfigEditor::contentOf(const QString &file)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return "<unreadable>"_ba;
    return in.readAll();
}

// Every file below the test folder, so that a test sees stray temporaries and backups.
QStringList tst_ConfigEditor::listing() const
{
    QStringList names;
    const QDir root(m_dir->path());
    const QFileInfoList entries = root.entryInfoList(
            QDir::Files | QDir::Hidden | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QFileInfo &entry : entries) {
        names << entry.fileName();
        if (entry.isDir()) {
            const QStringList inner =
                    QDir(entry.filePath()).entryList(QDir::Files | QDir::Hidden, QDir::Name);
            for (const QString &name : inner)
                names << entry.fileName() + u'/' + name;
        }
    }
    return names;
}

void tst_ConfigEditor::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dir->isValid(), qPrintable(m_dir->errorString()));
}

void tst_ConfigEditor::changeExisting_data()
{
    QTest::addColumn<QByteArray>("original");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("before");
    QTest::addColumn<QByteArray>("after");

    const QByteArray httpBefore = "http_proxy_port = 8080   # ws:// for Studio"_ba;
    const QByteArray httpAfter = "http_proxy_port = 9090   # ws:// for Studio"_ba;

    QTest::newRow("[mysqld], comment after the value kept")
            << MyCnf << u"http_proxy_port"_s << u"9090"_s << httpBefore << httpAfter;
    QTest::newRow("[mysqld], CRLF line endings")
            << crlf(MyCnf) << u"http_proxy_port"_s << u"9090"_s << httpBefore << httpAfter;
    QTest::newRow("[mysqld], key asked for with hyphens")
            << MyCnf << u"HTTP-Proxy-Port"_s << u"9090"_s << httpBefore << httpAfter;
    QTest::newRow("[mysqld], socket also in [client]")
            << MyCnf << u"socket"_s << u"/tmp/engine.sock"_s
            << "socket = /run/mysqld/mysqld.sock\nhttp_proxy_port"_ba
            << "socket = /tmp/engine.sock\nhttp_proxy_port"_ba;
    QTest::newRow("[mysqld], indented option")
            << MyCnf << u"datadir"_s << u"/srv/mysql"_s << "    datadir = /var/lib/mysql"_ba
            << "    datadir = /srv/mysql"_ba;
    QTest::newRow("[mysqld], no spaces around '='")
            << MyCnf << u"innodb_buffer_pool_size"_s << u"2G"_s << "innodb_buffer_pool_size=1G"_ba
            << "innodb_buffer_pool_size=2G"_ba;
    QTest::newRow("[mysqld], quoted value with a comment after it")
            << MyCnf << u"ssl_cert"_s << u"/etc/ssl/server.pem"_s
            << "ssl_cert = \"/etc/ssl/my certs/server.pem\"  # leaf first"_ba
            << "ssl_cert = /etc/ssl/server.pem  # leaf first"_ba;
    QTest::newRow("[mysqld], new value needs quotes")
            << MyCnf << u"datadir"_s << u"/srv/my data"_s << "    datadir = /var/lib/mysql"_ba
            << "    datadir = \"/srv/my data\""_ba;
    QTest::newRow("[mysqld], last line without newline")
            << "[client]\nuser = admin\n\n[mysqld]\nhttp_proxy_port = 8080 # ws://"_ba
            << u"http_proxy_port"_s << u"9090"_s << "http_proxy_port = 8080 # ws://"_ba
            << "http_proxy_port = 9090 # ws://"_ba;
    QTest::newRow("[server], spelled with hyphens in the file")
            << ServerCnf << u"https_proxy_port"_s << u"9443"_s
            << "https-proxy-port = 8443 # wss://"_ba
            << "https-proxy-port = 9443 # wss://"_ba;
    QTest::newRow("[server], indented, no spaces")
            << ServerCnf << u"ssl_key"_s << u"/etc/ssl/my keys/server.key"_s
            << "  ssl_key=/etc/ssl/server.key"_ba
            << "  ssl_key=\"/etc/ssl/my keys/server.key\""_ba;
    QTest::newRow("[server], CRLF") << crlf(ServerCnf) << u"ssl_cert"_s << u"/etc/ssl/other.pem"_s
                                    << "ssl_cert = /etc/ssl/server.pem"_ba
                                    << "ssl_cert = /etc/ssl/other.pem"_ba;
    QTest::newRow("no groups") << MemsqlCnf << u"http_proxy_port"_s << u"9090"_s
                               << "http_proxy_port = 8080"_ba
                               << "http_proxy_port = 9090"_ba;
    QTest::newRow("no groups, last line without newline")
            << withoutFinalNewline(MemsqlCnf) << u"plancachedir"_s << u"/srv/plancache"_s
            << "plancachedir = plancache"_ba
            << "plancachedir = /srv/plancache"_ba;
    QTest::newRow("no groups, CRLF, last line without newline")
            << withoutFinalNewline(crlf(MemsqlCnf)) << u"plancachedir"_s << u"cache"_s
            << "plancachedir = plancache"_ba
            << "plancachedir = cache"_ba;
    QTest::newRow("the later of two entries is the one in force")
            << MemsqlCnf + "http_proxy_port = 8081\n"_ba << u"http_proxy_port"_s << u"9090"_s
            << "http_proxy_port = 8081"_ba
            << "http_proxy_port = 9090"_ba;
    QTest::newRow("loose- prefix kept")
            << "[mysqld]\nloose-http-proxy-port = 8080\n"_ba << u"http_proxy_port"_s << u"9090"_s
            << "loose-http-proxy-port = 8080"_ba
            << "loose-http-proxy-port = 9090"_ba;
}

void tst_ConfigEditor::changeExisting()
{
    QFETCH(QByteArray, original);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QByteArray, before);
    QFETCH(QByteArray, after);

    const QString file = write(u"my.cnf"_s, original);
    const Result<ConfigUpdate> update = ConfigEditor::update(file, key, value);
    QVERIFY2(update, qPrintable(update.ok() ? QString() : update.error().message));

    QCOMPARE(contentOf(file), replacingLine(original, before, after));

    QCOMPARE(update->file, QFileInfo(file).absoluteFilePath());
    QCOMPARE(update->backup, file + u".bak"_s);
    QCOMPARE(contentOf(update->backup), original);

    const Result<ConfigFile> reread = ConfigFile::read(file);
    QVERIFY2(reread, qPrintable(reread.ok() ? QString() : reread.error().message));
    const ConfigEntry *entry = reread->find(key);
    QVERIFY(entry);
    QCOMPARE(entry->value, value);
}

void tst_ConfigEditor::addNew_data()
{
    QTest::addColumn<QByteArray>("original");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QByteArray>("expected");

    // After skip-name-resolve, the last option of [mysqld]; before the blank lines and the
    // comment that introduce [mysqldump].
    const QByteArray intoMysqld = replacingLine(
            MyCnf, "skip-name-resolve\n"_ba, "skip-name-resolve\nhttps_proxy_port = 8443\n"_ba);
    QTest::newRow("[mysqld] before a client group")
            << MyCnf << u"https_proxy_port"_s << u"8443"_s << intoMysqld;
    QTest::newRow("[mysqld], CRLF")
            << crlf(MyCnf) << u"https_proxy_port"_s << u"8443"_s << crlf(intoMysqld);
    QTest::newRow("[mysqld], key asked for with hyphens")
            << MyCnf << u"https-proxy-port"_s << u"8443"_s << intoMysqld;
    QTest::newRow("[mysqld], value that needs quotes")
            << MyCnf << u"ssl_ca"_s << u"/etc/ssl/my ca.pem"_s
            << replacingLine(MyCnf,
                       "skip-name-resolve\n"_ba,
                       "skip-name-resolve\nssl_ca = \"/etc/ssl/my ca.pem\"\n"_ba);

    // [server] is the last group the engine reads: it wins over the earlier [mysqld].
    const QByteArray twoGroups = "[mysqld]\n"
                                 "port = 3306\n"
                                 "\n"
                                 "[server]\n"
                                 "http_proxy_port = 8080\n"
                                 "# more to come\n"
                                 "\n"
                                 "[client]\n"
                                 "user = admin\n"_ba;
    QTest::newRow("last of two engine groups")
            << twoGroups << u"ssl_ca"_s << u"/etc/ssl/ca.pem"_s
            << replacingLine(twoGroups,
                       "http_proxy_port = 8080\n"_ba,
                       "http_proxy_port = 8080\nssl_ca = /etc/ssl/ca.pem\n"_ba);

    const QByteArray engineGroupLast = "[client]\n"
                                       "user = admin\n"
                                       "[mysqld]\n"
                                       "port = 3306\n"
                                       "# the proxy\n"_ba;
    QTest::newRow("engine group last, trailing comment")
            << engineGroupLast << u"http_proxy_port"_s << u"8080"_s
            << "[client]\nuser = admin\n[mysqld]\nport = 3306\nhttp_proxy_port = 8080\n"
               "# the proxy\n"_ba;
    QTest::newRow("engine group last, last line without newline")
            << "[mysqld]\nport = 3306"_ba << u"http_proxy_port"_s << u"8080"_s
            << "[mysqld]\nport = 3306\nhttp_proxy_port = 8080\n"_ba;
    QTest::newRow("empty engine group")
            << "[mysqld]\n[client]\nuser = admin\n"_ba << u"http_proxy_port"_s << u"8080"_s
            << "[mysqld]\nhttp_proxy_port = 8080\n[client]\n"
               "user = admin\n"_ba;

    QTest::newRow("no groups: at the end") << MemsqlCnf << u"ssl_cert"_s << u"/etc/ssl/server.pem"_s
                                           << MemsqlCnf + "ssl_cert = /etc/ssl/server.pem\n"_ba;
    QTest::newRow("no groups, last line without newline")
            << withoutFinalNewline(MemsqlCnf) << u"ssl_cert"_s << u"/etc/ssl/server.pem"_s
            << MemsqlCnf + "ssl_cert = /etc/ssl/server.pem\n"_ba;
    QTest::newRow("no groups, CRLF, last line without newline")
            << withoutFinalNewline(crlf(MemsqlCnf)) << u"ssl_cert"_s << u"/etc/ssl/server.pem"_s
            << crlf(MemsqlCnf + "ssl_cert = /etc/ssl/server.pem\n"_ba);
    QTest::newRow("empty file") << QByteArray() << u"http_proxy_port"_s << u"8080"_s
                                << "http_proxy_port = 8080\n"_ba;

    const QByteArray clientOnly = "# tools only so far\n"
                                  "[client]\n"
                                  "user = admin\n"
                                  "\n"
                                  "[mysqldump]\n"
                                  "quick\n"_ba;
    QTest::newRow("only client groups: a new [server]")
            << clientOnly << u"http_proxy_port"_s << u"8080"_s
            << clientOnly + "\n[server]\nhttp_proxy_port = 8080\n"_ba;
    QTest::newRow("only client groups, CRLF")
            << crlf(clientOnly) << u"http_proxy_port"_s << u"8080"_s
            << crlf(clientOnly + "\n[server]\nhttp_proxy_port = 8080\n"_ba);
    QTest::newRow("only client groups, last line without newline")
            << withoutFinalNewline(clientOnly) << u"http_proxy_port"_s << u"8080"_s
            << clientOnly + "\n[server]\nhttp_proxy_port = 8080\n"_ba;
    QTest::newRow("only client groups, ending in a blank line")
            << clientOnly + "\n"_ba << u"http_proxy_port"_s << u"8080"_s
            << clientOnly + "\n[server]\nhttp_proxy_port = 8080\n"_ba;
    QTest::newRow("set only in [mysqldump]")
            << MyCnf << u"max_allowed_packet"_s << u"1G"_s
            << replacingLine(MyCnf,
                       "skip-name-resolve\n"_ba,
                       "skip-name-resolve\nmax_allowed_packet = 1G\n"_ba);
    QTest::newRow("set only in [client]")
            << "[client]\nhttp_proxy_port = 1\n"_ba << u"http_proxy_port"_s << u"8080"_s
            << "[client]\nhttp_proxy_port = 1\n\n[server]\nhttp_proxy_port = 8080\n"_ba;
}

void tst_ConfigEditor::addNew()
{
    QFETCH(QByteArray, original);
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QByteArray, expected);

    const QString file = write(u"my.cnf"_s, original);
    const Result<ConfigUpdate> update = ConfigEditor::update(file, key, value);
    QVERIFY2(update, qPrintable(update.ok() ? QString() : update.error().message));

    QCOMPARE(contentOf(file), expected);
    QCOMPARE(contentOf(file + u".bak"_s), original);
    QCOMPARE(update->file, QFileInfo(file).absoluteFilePath());

    const Result<ConfigFile> reread = ConfigFile::read(file);
    QVERIFY2(reread, qPrintable(reread.ok() ? QString() : reread.error().message));
    const ConfigEntry *entry = reread->find(key);
    QVERIFY(entry);
    QCOMPARE(entry->value, value);
}

void tst_ConfigEditor::unset_data()
{
    QTest::addColumn<QByteArray>("main");
    QTest::addColumn<QByteArray>("included");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QByteArray>("mainAfter");
    QTest::addColumn<QByteArray>("includedAfter");

    // Removing only the entry in force would let an earlier one take over: all of them go,
    // in every file; the one in [client] is not the engine's and stays.
    const QByteArray main = "# engine\n"
                            "[client]\n"
                            "http_proxy_port = 1234\n"
                            "\n"
                            "[mysqld]\n"
                            "http_proxy_port = 8080 # first try\n"
                            "port = 3306\n"
                            "!include conf.d/proxy.cnf\n"
                            "  http-proxy-port=8081\n"
                            "\n"
                            "[mysqldump]\n"
                            "quick\n"_ba;
    const QByteArray included = "; proxy settings\n"
                                "[server]\n"
                                "http_proxy_port = 9090\n"
                                "ssl_ca = /etc/ssl/ca.pem\n"_ba;
    const QByteArray mainAfter = "# engine\n"
                                 "[client]\n"
                                 "http_proxy_port = 1234\n"
                                 "\n"
                                 "[mysqld]\n"
                                 "port = 3306\n"
                                 "!include conf.d/proxy.cnf\n"
                                 "\n"
                                 "[mysqldump]\n"
                                 "quick\n"_ba;
    const QByteArray includedAfter = "; proxy settings\n"
                                     "[server]\n"
                                     "ssl_ca = /etc/ssl/ca.pem\n"_ba;

    QTest::newRow("main file and include")
            << main << included << u"http_proxy_port"_s << mainAfter << includedAfter;
    QTest::newRow("CRLF") << crlf(main) << crlf(included) << u"http_proxy_port"_s << crlf(mainAfter)
                          << crlf(includedAfter);
    QTest::newRow("only in the main file")
            << main << included << u"port"_s
            << replacingLine(main, "port = 3306\n"_ba, QByteArray()) << included;
    QTest::newRow("only in the include, on its last line without newline")
            << main << withoutFinalNewline(included) << u"ssl_ca"_s << main
            << "; proxy settings\n[server]\nhttp_proxy_port = 9090\n"_ba;
    QTest::newRow("on the main file's last line without newline")
            << "!include conf.d/proxy.cnf\n[mysqld]\nport = 3306\nssl_ca = /ca.pem"_ba << included
            << u"ssl_ca"_s << "!include conf.d/proxy.cnf\n[mysqld]\nport = 3306\n"_ba
            << "; proxy settings\n[server]\nhttp_proxy_port = 9090\n"_ba;
    QTest::newRow("no groups") << MemsqlCnf << QByteArray() << u"http_proxy_port"_s
                               << replacingLine(MemsqlCnf, "http_proxy_port = 8080\n"_ba, {})
                               << QByteArray();
}

void tst_ConfigEditor::unset()
{
    QFETCH(QByteArray, main);
    QFETCH(QByteArray, included);
    QFETCH(QString, key);
    QFETCH(QByteArray, mainAfter);
    QFETCH(QByteArray, includedAfter);

    const QString mainFile = write(u"my.cnf"_s, main);
    const QString includedFile = write(u"conf.d/proxy.cnf"_s, included);

    const Result<ConfigUpdate> update = ConfigEditor::update(mainFile, key, std::nullopt);
    QVERIFY2(update, qPrintable(update.ok() ? QString() : update.error().message));

    QCOMPARE(contentOf(mainFile), mainAfter);
    QCOMPARE(contentOf(includedFile), includedAfter);

    // A backup beside each file that changed, and none beside the others.
    QCOMPARE(QFile::exists(mainFile + u".bak"_s), mainAfter != main);
    QCOMPARE(QFile::exists(includedFile + u".bak"_s), includedAfter != included);
    if (mainAfter != main)
        QCOMPARE(contentOf(mainFile + u".bak"_s), main);
    if (includedAfter != included)
        QCOMPARE(contentOf(includedFile + u".bak"_s), included);

    const Result<ConfigFile> reread = ConfigFile::read(mainFile);
    QVERIFY2(reread, qPrintable(reread.ok() ? QString() : reread.error().message));
    QVERIFY(!reread->find(key));
}

void tst_ConfigEditor::inForceInInclude_data()
{
    QTest::addColumn<QByteArray>("main");
    QTest::addColumn<QByteArray>("included");
    QTest::addColumn<bool>("editsInclude");
    QTest::addColumn<QByteArray>("before");
    QTest::addColumn<QByteArray>("after");

    const QByteArray includeLast = "[mysqld]\n"
                                   "https_proxy_port = 8443\n"
                                   "!include conf.d/proxy.cnf\n"_ba;
    const QByteArray includeFirst = "!include conf.d/proxy.cnf\n"
                                    "[mysqld]\n"
                                    "https_proxy_port = 8443\n"_ba;
    const QByteArray included = "# proxy\n"
                                "[mysqld]\n"
                                "  https_proxy_port = 9443   # wss:// for Studio\n"
                                "ssl_cert = /etc/ssl/server.pem\n"_ba;

    QTest::newRow("include read last") << includeLast << included << true
                                       << "  https_proxy_port = 9443   # wss:// for Studio"_ba
                                       << "  https_proxy_port = 7443   # wss:// for Studio"_ba;
    QTest::newRow("include read last, CRLF")
            << crlf(includeLast) << crlf(included) << true
            << "  https_proxy_port = 9443   # wss:// for Studio"_ba
            << "  https_proxy_port = 7443   # wss:// for Studio"_ba;
    QTest::newRow("!includedir read last")
            << "[mysqld]\nhttps_proxy_port = 8443\n!includedir conf.d\n"_ba << included << true
            << "  https_proxy_port = 9443   # wss:// for Studio"_ba
            << "  https_proxy_port = 7443   # wss:// for Studio"_ba;
    QTest::newRow("include read first")
            << includeFirst << included << false << "https_proxy_port = 8443"_ba
            << "https_proxy_port = 7443"_ba;
}

void tst_ConfigEditor::inForceInInclude()
{
    QFETCH(QByteArray, main);
    QFETCH(QByteArray, included);
    QFETCH(bool, editsInclude);
    QFETCH(QByteArray, before);
    QFETCH(QByteArray, after);

    const QString mainFile = write(u"my.cnf"_s, main);
    const QString includedFile = write(u"conf.d/proxy.cnf"_s, included);

    const Result<ConfigUpdate> update =
            ConfigEditor::update(mainFile, u"https_proxy_port"_s, u"7443"_s);
    QVERIFY2(update, qPrintable(update.ok() ? QString() : update.error().message));

    const QString edited = editsInclude ? includedFile : mainFile;
    const QString untouched = editsInclude ? mainFile : includedFile;
    const QByteArray editedBefore = editsInclude ? included : main;
    const QByteArray untouchedBefore = editsInclude ? main : included;

    QCOMPARE(update->file, QFileInfo(edited).absoluteFilePath());
    QCOMPARE(update->backup, QFileInfo(edited).absoluteFilePath() + u".bak"_s);
    QCOMPARE(contentOf(edited), replacingLine(editedBefore, before, after));
    QCOMPARE(contentOf(untouched), untouchedBefore);
    QCOMPARE(contentOf(edited + u".bak"_s), editedBefore);
    QVERIFY(!QFile::exists(untouched + u".bak"_s));

    const Result<ConfigFile> reread = ConfigFile::read(mainFile);
    QVERIFY2(reread, qPrintable(reread.ok() ? QString() : reread.error().message));
    QCOMPARE(reread->find(u"https_proxy_port"_s)->value, u"7443"_s);
}

void tst_ConfigEditor::roundTrip_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("existing");

    const QList<std::pair<const char *, QString>> values = {
        { "plain path", u"/etc/ssl/server.pem"_s },
        { "space", u"/etc/ssl/my certs/server.pem"_s },
        { "hash", u"/etc/ssl/#1/server.pem"_s },
        { "hash after a space", u"/etc/ssl/a #1.pem"_s },
        { "double quote", u"/etc/ssl/\"q\".pem"_s },
        { "single quote", u"/etc/ssl/it's.pem"_s },
        { "backslash", u"C:\\certs\\server.pem"_s },
        { "backslash and n", u"C:\\new\\server.pem"_s },
        { "trailing backslash", u"C:\\certs\\"_s },
        { "tab", u"a\tb.pem"_s },
        { "leading and trailing spaces", u"  padded.pem  "_s },
        { "semicolon and equals", u"a;b=c.pem"_s },
        { "everything", u"a \"b\" 'c' \\d #e ;f"_s },
        { "non-ASCII", u"/etc/ssl/zertifikat-für-straße.pem"_s },
        { "trailing no-break space", u"/etc/ssl/server.pem\u00a0"_s },
    };
    for (const auto &[name, value] : values) {
        QTest::addRow("%s, existing key", name) << value << true;
        QTest::addRow("%s, new key", name) << value << false;
    }
}

void tst_ConfigEditor::roundTrip()
{
    QFETCH(QString, value);
    QFETCH(bool, existing);

    const QString file = write(u"my.cnf"_s,
            existing ? "[mysqld]\nssl_cert = /old.pem # leaf\nport = 3306\n"_ba
                     : "[mysqld]\nport = 3306\n"_ba);
    const Result<ConfigUpdate> update = ConfigEditor::update(file, u"ssl_cert"_s, value);
    QVERIFY2(update, qPrintable(update.ok() ? QString() : update.error().message));

    const Result<ConfigFile> reread = ConfigFile::read(file);
    QVERIFY2(reread, qPrintable(reread.ok() ? QString() : reread.error().message));
    const ConfigEntry *entry = reread->find(u"ssl_cert"_s);
    QVERIFY(entry);
    QCOMPARE(entry->value, value);
    QCOMPARE(reread->find(u"port"_s)->value, u"3306"_s);
    QCOMPARE(ConfigEditor::quoteValue(value).contains(u'\n'), false);
}

void tst_ConfigEditor::backup()
{
    const QString file = write(u"my.cnf"_s, crlf(MyCnf));
    write(u"my.cnf.bak"_s, "a backup from an earlier change\n"_ba);

    const Result<ConfigUpdate> first = ConfigEditor::update(file, u"http_proxy_port"_s, u"9090"_s);
    QVERIFY2(first, qPrintable(first.ok() ? QString() : first.error().message));
    QCOMPARE(contentOf(file + u".bak"_s), crlf(MyCnf));
    const QByteArray afterFirst = contentOf(file);

    // Each change keeps the bytes just before it, not the first ones.
    const Result<ConfigUpdate> second = ConfigEditor::update(file, u"ssl_ca"_s, u"/ca.pem"_s);
    QVERIFY2(second, qPrintable(second.ok() ? QString() : second.error().message));
    QCOMPARE(second->backup, file + u".bak"_s);
    QCOMPARE(contentOf(second->backup), afterFirst);

    // Nothing else is left behind: no temporary file of the atomic replace.
    QCOMPARE(listing(), QStringList({ u"my.cnf"_s, u"my.cnf.bak"_s }));
}

// A save of several options (the Configuration page, cert generate --config) is one edit:
// its backup is the file before the first change, not between two of them.
void tst_ConfigEditor::severalChangesOneBackup()
{
    const QString file = write(u"my.cnf"_s, MyCnf);
    write(u"my.cnf.bak"_s, "a backup from an earlier change\n"_ba);

    const Result<QList<ConfigUpdate>> updates = ConfigEditor::updateAll(
            file, { { u"http_proxy_port"_s, u"9090"_s }, { u"ssl_ca"_s, u"/ca.pem"_s } });
    QVERIFY2(updates, qPrintable(updates ? QString() : updates.error().message));
    QCOMPARE(updates->size(), 2);
    QCOMPARE(updates->at(1).backup, file + u".bak"_s);
    QCOMPARE(contentOf(file + u".bak"_s), MyCnf);

    const Result<ConfigFile> reread = ConfigFile::read(file);
    QVERIFY(reread);
    QCOMPARE(reread->find(u"http_proxy_port"_s)->value, u"9090"_s);
    QCOMPARE(reread->find(u"ssl_ca"_s)->value, u"/ca.pem"_s);
    QCOMPARE(listing(), QStringList({ u"my.cnf"_s, u"my.cnf.bak"_s }));
}

// When a later change is refused, the earlier ones are undone, in the included file they
// went to as well, and every backup is as it was.
void tst_ConfigEditor::severalChangesAllOrNothing()
{
    const QByteArray main = "[mysqld]\nhttps_proxy_port = 8443\n!include conf.d/proxy.cnf\n"_ba;
    const QByteArray included = "[mysqld]\nssl_cert = /etc/ssl/server.pem\n"_ba;
    const QString mainFile = write(u"my.cnf"_s, main);
    const QString includedFile = write(u"conf.d/proxy.cnf"_s, included);
    const QByteArray oldBackup = "a backup from an earlier change\n"_ba;
    write(u"my.cnf.bak"_s, oldBackup);
    const QStringList before = listing();

    const Result<QList<ConfigUpdate>> updates = ConfigEditor::updateAll(mainFile,
            { { u"ssl_cert"_s, u"/new.pem"_s },
                    { u"ssl_key"_s, u"/new.key"_s },
                    { u"https_proxy_port"_s, u"65536"_s } });
    QVERIFY2(!updates, "the changes were accepted");
    QCOMPARE(updates.error().code, ErrorCode::InvalidValue);
    QVERIFY2(updates.error().message.contains(u"nothing was changed"_s),
            qPrintable(updates.error().message));

    QCOMPARE(contentOf(mainFile), main);
    QCOMPARE(contentOf(includedFile), included);
    QCOMPARE(contentOf(mainFile + u".bak"_s), oldBackup);
    QCOMPARE(listing(), before);
}

// Setting values to what they already are (cert generate run again with the same folder)
// leaves the file and its backup alone, and names no backup.
void tst_ConfigEditor::severalChangesThatChangeNothing()
{
    const QByteArray text = "[mysqld]\nssl_cert = /a.pem\nssl_key = /a.key\n"_ba;
    const QString file = write(u"my.cnf"_s, text);
    const QByteArray oldBackup = "a backup from an earlier change\n"_ba;
    write(u"my.cnf.bak"_s, oldBackup);

    const Result<QList<ConfigUpdate>> updates = ConfigEditor::updateAll(
            file, { { u"ssl_cert"_s, u"/a.pem"_s }, { u"ssl_key"_s, u"/a.key"_s } });
    QVERIFY2(updates, qPrintable(updates ? QString() : updates.error().message));
    QCOMPARE(updates->size(), 2);
    for (const ConfigUpdate &update : updates.value())
        QVERIFY2(update.backup.isEmpty(), qPrintable(update.backup));
    QCOMPARE(contentOf(file), text);
    QCOMPARE(contentOf(file + u".bak"_s), oldBackup);
}

void tst_ConfigEditor::symlinkedConfig()
{
    // Debian's /etc/mysql/my.cnf is a link that update-alternatives manages: the link stays,
    // the file it points to changes.
    const QString target = write(u"alternatives/my.cnf"_s, MyCnf);
    const QString link = path(u"my.cnf"_s);
    QVERIFY(QFile::link(target, link));

    const Result<ConfigUpdate> update = ConfigEditor::update(link, u"http_proxy_port"_s, u"9090"_s);
    QVERIFY2(update, qPrintable(update.ok() ? QString() : update.error().message));

    QVERIFY(QFileInfo(link).isSymLink());
    QCOMPARE(QFileInfo(link).symLinkTarget(), target);
    QCOMPARE(contentOf(target),
            replacingLine(MyCnf,
                    "http_proxy_port = 8080   # ws:// for Studio"_ba,
                    "http_proxy_port = 9090   # ws:// for Studio"_ba));
    QCOMPARE(contentOf(update->backup), MyCnf);
}

void tst_ConfigEditor::permissionsKept()
{
    // my.cnf often holds passwords ([client] password = ...): 0640 root:mysql.
    const QString file = write(u"my.cnf"_s, MyCnf);
    QCOMPARE(::chmod(QFile::encodeName(file).constData(), 0640), 0);

    const Result<ConfigUpdate> update = ConfigEditor::update(file, u"ssl_ca"_s, u"/ca.pem"_s);
    QVERIFY2(update, qPrintable(update.ok() ? QString() : update.error().message));

    QCOMPARE(modeOf(file), 0640);
    // The backup holds the same secrets: no more readable than the file itself.
    QCOMPARE(modeOf(file + u".bak"_s), 0640);
}

void tst_ConfigEditor::ownerKept()
{
    // The engine's config belongs to the engine's user; an edit made as root (or by the
    // proxy's service user) must leave it the engine's, or the engine cannot read it.
    if (::geteuid() != 0)
        QSKIP("giving a file to another user needs root");
    const QString file = write(u"memsql.cnf"_s, "http_proxy_port = 8080\n");
    const QByteArray name = QFile::encodeName(file);
    QCOMPARE(::chown(name.constData(), 65534, 65534), 0); // nobody, nogroup
    QCOMPARE(::chmod(name.constData(), 0640), 0);

    const Result<ConfigUpdate> update = ConfigEditor::update(file, u"http_proxy_port"_s, u"8081"_s);
    QVERIFY2(update, qPrintable(update.ok() ? QString() : update.error().message));

    for (const QString &path : QStringList { file, file + u".bak"_s }) {
        struct stat status = {};
        QCOMPARE(::stat(QFile::encodeName(path).constData(), &status), 0);
        QCOMPARE(status.st_uid, uid_t(65534));
        QCOMPARE(status.st_gid, gid_t(65534));
        QCOMPARE(status.st_mode & 07777, mode_t(0640));
    }
}

void tst_ConfigEditor::invalid_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<std::optional<QString>>("value");
    QTest::addColumn<QString>("mentions");

    using Value = std::optional<QString>;
    QTest::newRow("space in the key") << u"http proxy port"_s << Value(u"8080"_s) << u"http"_s;
    QTest::newRow("dot in the key") << u"mysqld.port"_s << Value(u"3306"_s) << u"mysqld.port"_s;
    QTest::newRow("'=' in the key") << u"port=1"_s << Value(u"3306"_s) << u"port=1"_s;
    QTest::newRow("empty key") << QString() << Value(u"1"_s) << QString();
    QTest::newRow("port above 65535")
            << u"https_proxy_port"_s << Value(u"65536"_s) << u"https_proxy_port"_s;
    QTest::newRow("negative port")
            << u"http_proxy_port"_s << Value(u"-1"_s) << u"http_proxy_port"_s;
    QTest::newRow("port not a number")
            << u"http-proxy-port"_s << Value(u"80a"_s) << u"http_proxy_port"_s;
    QTest::newRow("empty port") << u"http_proxy_port"_s << Value(QString()) << u"http_proxy_port"_s;
    QTest::newRow("newline in the value")
            << u"ssl_cert"_s << Value(u"/a.pem\nhttp_proxy_port = 1"_s) << QString();
    QTest::newRow("carriage return in the value")
            << u"ssl_cert"_s << Value(u"/a.pem\r"_s) << QString();
    QTest::newRow("unset a key that is not set") << u"ssl_ca"_s << Value() << u"ssl_ca"_s;
    QTest::newRow("unset a key set only for the client") << u"user"_s << Value() << u"user"_s;
}

void tst_ConfigEditor::invalid()
{
    QFETCH(QString, key);
    QFETCH(std::optional<QString>, value);
    QFETCH(QString, mentions);

    const QString file = write(u"my.cnf"_s, MyCnf);
    const QByteArray oldBackup = "a backup from an earlier change\n"_ba;
    write(u"my.cnf.bak"_s, oldBackup);
    const QStringList before = listing();

    const Result<ConfigUpdate> update = ConfigEditor::update(file, key, value);
    QVERIFY2(!update, "the update was accepted");
    QCOMPARE(update.error().code, ErrorCode::InvalidValue);
    QVERIFY2(update.error().message.contains(mentions), qPrintable(update.error().message));

    QCOMPARE(contentOf(file), MyCnf);
    QCOMPARE(contentOf(file + u".bak"_s), oldBackup);
    QCOMPARE(listing(), before);
}

void tst_ConfigEditor::unreadable_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("faulty");
    QTest::addColumn<bool>("needsNonRoot");

    QTest::newRow("missing file") << u"missing.cnf"_s << u"missing.cnf"_s << false;
    QTest::newRow("missing folder") << u"missing/my.cnf"_s << u"missing/my.cnf"_s << false;
    QTest::newRow("missing include") << u"my.cnf"_s << u"conf.d/gone.cnf"_s << false;
    QTest::newRow("no read permission") << u"my.cnf"_s << u"my.cnf"_s << true;
}

void tst_ConfigEditor::unreadable()
{
    QFETCH(QString, name);
    QFETCH(QString, faulty);
    QFETCH(bool, needsNonRoot);

    const QString file = path(name);
    const QByteArray content = "[mysqld]\nhttp_proxy_port = 8080\n!include conf.d/gone.cnf\n"_ba;
    if (name == u"my.cnf") {
        write(name, faulty == name ? MyCnf : content);
        write(u"my.cnf.bak"_s, "an old backup\n"_ba);
    }
    if (needsNonRoot) {
        QVERIFY(QFile::setPermissions(file, QFileDevice::WriteOwner));
        if (QFile(file).open(QIODevice::ReadOnly))
            QSKIP("this user reads files without read permission (root)");
    }
    const QStringList before = listing();

    const Result<ConfigUpdate> update = ConfigEditor::update(file, u"http_proxy_port"_s, u"9090"_s);
    QVERIFY2(!update, "the update was accepted");
    QCOMPARE(update.error().code, ErrorCode::ConfigUnreadable);
    QVERIFY2(update.error().message.contains(path(faulty)), qPrintable(update.error().message));

    QCOMPARE(listing(), before);
    if (name == u"my.cnf" && !needsNonRoot) {
        QCOMPARE(contentOf(file), content);
        QCOMPARE(contentOf(file + u".bak"_s), "an old backup\n"_ba);
    }
}

QTEST_GUILESS_MAIN(tst_ConfigEditor)
#include "tst_configeditor.moc"

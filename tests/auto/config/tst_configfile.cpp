#include "config/configfile.h"
#include "testsupport/testsupport.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::ErrorCode)

// ConfigFile reads the engine's option file the way the engine does (MySQL's option-file
// rules); what the proxy then serves depends on every value read here.
class tst_ConfigFile : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void memsqlStyle();
    void values_data();
    void values();
    void groups_data();
    void groups();
    void laterEntriesOverride();
    void keyNames_data();
    void keyNames();
    void includeForms_data();
    void includeForms();
    void includeRelativeToIncludingFile();
    void includeDir();
    void includeNesting();
    void errors_data();
    void errors();
    void unreadable_data();
    void unreadable();

private:
    QString path(const QString &relative) const { return m_dir->filePath(relative); }

    QString write(const QString &relative, const QByteArray &text) const;
    static QString valueOf(const ConfigFile &config, const QString &key);

    std::unique_ptr<QTemporaryDir> m_dir;
};

// Writes text to a file below the test's folder, creating folders as needed.
QString tst_ConfigFile::write(const QString &relative, const QByteArray &text) const
{
    const QString file = path(relative);
    TestSupport::writeFile(file, text);
    return file;
}

// The value in force for key, or a null string when the engine would not see the key.
QString tst_ConfigFile::valueOf(const ConfigFile &config, const QString &key)
{
    const ConfigEntry *entry = config.find(key);
    return entry ? entry->value : QString();
}

static QRegularExpression lineMention(int line)
{
    return QRegularExpression(u"\\bline %1\\b"_s.arg(line));
}

void tst_ConfigFile::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dir->isValid(), qPrintable(m_dir->errorString()));
}

void tst_ConfigFile::memsqlStyle()
{
    const QString file = write(u"memsql.cnf"_s,
            "# memsql.cnf, written by memsqlctl\n"
            "; a comment in the other style\n"
            "\n"
            "port = 3306\n"
            "   datadir=/var/lib/memsql/data   \n"
            "https_proxy_port = 8443\n"
            "    # an indented comment\n"
            "ssl_cert = /etc/memsql/ssl/server-cert.pem\n"
            "ssl_key = /etc/memsql/ssl/server-key.pem\n");

    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY2(config, qPrintable(config.ok() ? QString() : config.error().message));

    QCOMPARE(config->entries().size(), 5);
    QCOMPARE(valueOf(config.value(), u"port"_s), u"3306"_s);
    QCOMPARE(valueOf(config.value(), u"datadir"_s), u"/var/lib/memsql/data"_s);
    QCOMPARE(valueOf(config.value(), u"ssl_cert"_s), u"/etc/memsql/ssl/server-cert.pem"_s);
    QCOMPARE(valueOf(config.value(), u"ssl_key"_s), u"/etc/memsql/ssl/server-key.pem"_s);
    QVERIFY(!config->find(u"http_proxy_port"_s));

    // Messages about a value point the admin at its file and line.
    const ConfigEntry *https = config->find(u"https_proxy_port"_s);
    QVERIFY(https);
    QCOMPARE(https->value, u"8443"_s);
    QCOMPARE(https->file, QFileInfo(file).absoluteFilePath());
    QCOMPARE(https->line, 6);
    QCOMPARE(https->section, QString());
    QCOMPARE(config->path(), QFileInfo(file).absoluteFilePath());
    QCOMPARE(config->folder(), QFileInfo(file).absolutePath());
}

void tst_ConfigFile::values_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("expected");

    QTest::newRow("spaces around '='") << "ssl_cert = /etc/ssl/a.pem"_ba << u"/etc/ssl/a.pem"_s;
    QTest::newRow("no spaces") << "ssl_cert=/etc/ssl/a.pem"_ba << u"/etc/ssl/a.pem"_s;
    QTest::newRow("comment after value")
            << "ssl_cert = /etc/ssl/a.pem   # the leaf and chain"_ba << u"/etc/ssl/a.pem"_s;
    QTest::newRow("comment right after value")
            << "ssl_cert = /etc/ssl/a.pem#leaf"_ba << u"/etc/ssl/a.pem"_s;
    QTest::newRow("';' inside a value is not a comment") << "ssl_cert = a;b.pem"_ba << u"a;b.pem"_s;
    QTest::newRow("double quotes")
            << "ssl_cert = \"/etc/my certs/a.pem\""_ba << u"/etc/my certs/a.pem"_s;
    QTest::newRow("single quotes")
            << "ssl_cert = '/etc/my certs/a.pem'"_ba << u"/etc/my certs/a.pem"_s;
    QTest::newRow("'#' inside quotes")
            << "ssl_cert = \"/etc/ssl/#1.pem\""_ba << u"/etc/ssl/#1.pem"_s;
    QTest::newRow("comment after quotes")
            << "ssl_cert = \"/etc/ssl/a.pem\"  # leaf"_ba << u"/etc/ssl/a.pem"_s;
    QTest::newRow("escapes in quotes")
            << R"(ssl_cert = "a\tb\nc\\d\"e\'f\sg")"_ba << u"a\tb\nc\\d\"e'f g"_s;
    QTest::newRow("other quote inside quotes") << R"(ssl_cert = "it's.pem")"_ba << u"it's.pem"_s;
    QTest::newRow("empty value") << "ssl_cert ="_ba << QString();
    QTest::newRow("empty quotes") << "ssl_cert = \"\""_ba << QString();
    QTest::newRow("option without '='") << "ssl_cert"_ba << QString();
    QTest::newRow("Windows line end") << "ssl_cert = /etc/ssl/a.pem\r"_ba << u"/etc/ssl/a.pem"_s;

    // MySQL's reader (mysys/my_default.cc) keeps the backslash of an escape it does not
    // know, knows \b, and unescapes unquoted values as well as quoted ones.
    QTest::newRow("unknown escape keeps its backslash")
            << R"(ssl_cert = "C:\certs\a.pem")"_ba << u"C:\\certs\\a.pem"_s;
    QTest::newRow("backspace escape") << R"(ssl_cert = "a\bb")"_ba << u"a\bb"_s;
    QTest::newRow("escape in an unquoted value")
            << R"(ssl_cert = /etc/my\scerts/a.pem)"_ba << u"/etc/my certs/a.pem"_s;
}

void tst_ConfigFile::values()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, expected);

    const QString file = write(u"my.cnf"_s, "[mysqld]\n" + line + '\n');
    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY2(config, qPrintable(config.ok() ? QString() : config.error().message));

    const ConfigEntry *entry = config->find(u"ssl_cert"_s);
    QVERIFY(entry);
    QCOMPARE(entry->value, expected);
}

void tst_ConfigFile::groups_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<bool>("applies");

    // The engine reads [server] and [mysqld] (MySQL), [memsqld] (SingleStore), [mariadb] and
    // [mariadbd] (MariaDB); the other groups belong to client programs.
    QTest::newRow("no group (memsql.cnf)") << QByteArray() << true;
    QTest::newRow("[server]") << "[server]"_ba << true;
    QTest::newRow("[mysqld]") << "[mysqld]"_ba << true;
    QTest::newRow("[memsqld]") << "[memsqld]"_ba << true;
    QTest::newRow("[mariadb]") << "[mariadb]"_ba << true;
    QTest::newRow("[mariadbd]") << "[mariadbd]"_ba << true;
    QTest::newRow("[ mysqld ]") << "[ mysqld ]"_ba << true;
    QTest::newRow("[MySQLd]") << "[MySQLd]"_ba << true;
    QTest::newRow("[client]") << "[client]"_ba << false;
    QTest::newRow("[mysql]") << "[mysql]"_ba << false;
    QTest::newRow("[mysqldump]") << "[mysqldump]"_ba << false;
    QTest::newRow("[client-server]") << "[client-server]"_ba << false;
    // MySQL ignores whatever follows the ']' of a group name.
    QTest::newRow("[mysqld] # comment") << "[mysqld]  # the server's options"_ba << true;
}

void tst_ConfigFile::groups()
{
    QFETCH(QByteArray, header);
    QFETCH(bool, applies);

    const QString file = write(u"my.cnf"_s, header + "\nhttps_proxy_port = 8443\n");
    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY2(config, qPrintable(config.ok() ? QString() : config.error().message));

    QCOMPARE(config->entries().size(), 1);
    QCOMPARE(bool(config->find(u"https_proxy_port"_s)), applies);
    QCOMPARE(ConfigFile::appliesToEngine(config->entries().constFirst().section), applies);
}

void tst_ConfigFile::laterEntriesOverride()
{
    const QString file = write(u"my.cnf"_s,
            "[mysqld]\n"
            "http_proxy_port = 8080\n"
            "ssl_cert = /first.pem\n"
            "[client]\n"
            "ssl_cert = /client.pem\n"
            "port = 4000\n"
            "[memsqld]\n"
            "http_proxy_port = 9090\n"
            "[mysql]\n"
            "http_proxy_port = 1\n");

    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY2(config, qPrintable(config.ok() ? QString() : config.error().message));

    const ConfigEntry *http = config->find(u"http_proxy_port"_s);
    QVERIFY(http);
    QCOMPARE(http->value, u"9090"_s);
    QCOMPARE(http->line, 8);
    QCOMPARE(http->section, u"memsqld"_s);

    // A later entry in a client group overrides nothing the engine reads.
    QCOMPARE(valueOf(config.value(), u"ssl_cert"_s), u"/first.pem"_s);
    QVERIFY(!config->find(u"port"_s));

    // Every entry is kept, in file order, for whoever shows or edits the file.
    QCOMPARE(config->entries().size(), 6);
    QCOMPARE(config->entries().at(2).value, u"/client.pem"_s);
    QCOMPARE(config->entries().at(2).section, u"client"_s);
}

void tst_ConfigFile::keyNames_data()
{
    QTest::addColumn<QByteArray>("written");
    QTest::addColumn<QString>("lookedUp");

    QTest::newRow("underscores") << "ssl_cert"_ba << u"ssl_cert"_s;
    QTest::newRow("dashes") << "ssl-cert"_ba << u"ssl_cert"_s;
    QTest::newRow("mixed") << "loose_ssl-cert"_ba << u"ssl_cert"_s;
    QTest::newRow("looked up with dashes") << "ssl_cert"_ba << u"ssl-cert"_s;
    QTest::newRow("loose- prefix") << "loose-ssl-cert"_ba << u"ssl_cert"_s;
    QTest::newRow("loose_ prefix") << "loose_ssl_cert"_ba << u"ssl_cert"_s;
    QTest::newRow("upper case") << "SSL_Cert"_ba << u"ssl_cert"_s;
    QTest::newRow("spaces before '='") << "ssl_cert   "_ba << u"ssl_cert"_s;
}

void tst_ConfigFile::keyNames()
{
    QFETCH(QByteArray, written);
    QFETCH(QString, lookedUp);

    const QString file = write(u"my.cnf"_s, "[mysqld]\n" + written + "= /etc/ssl/a.pem\n");
    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY2(config, qPrintable(config.ok() ? QString() : config.error().message));

    QCOMPARE(valueOf(config.value(), lookedUp), u"/etc/ssl/a.pem"_s);
    QCOMPARE(config->entries().constFirst().key, u"ssl_cert"_s);
}

void tst_ConfigFile::includeForms_data()
{
    QTest::addColumn<QByteArray>("directive");

    QTest::newRow("relative") << "!include extra.cnf"_ba;
    QTest::newRow("relative with folder") << "!include ./sub/../extra.cnf"_ba;
    QTest::newRow("absolute") << "!include {dir}/extra.cnf"_ba;
    QTest::newRow("extra spaces") << "   !include    extra.cnf   "_ba;
    // MySQL accepts any white space after the directive.
    QTest::newRow("tab") << "!include\textra.cnf"_ba;
}

void tst_ConfigFile::includeForms()
{
    QFETCH(QByteArray, directive);

    QDir(m_dir->path()).mkpath(u"sub"_s);
    const QString extra = write(u"extra.cnf"_s, "[mysqld]\nssl_cert = /included.pem\n");
    directive.replace("{dir}", m_dir->path().toUtf8());
    const QString file = write(u"my.cnf"_s,
            "[mysqld]\n"
            "ssl_cert = /before.pem\n"
            "ssl_key = /before.key\n"
                    + directive
                    + "\n"
                      "ssl_key = /after.key\n");

    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY2(config, qPrintable(config.ok() ? QString() : config.error().message));

    // The included file's entries take the place of the directive.
    const ConfigEntry *cert = config->find(u"ssl_cert"_s);
    QVERIFY(cert);
    QCOMPARE(cert->value, u"/included.pem"_s);
    QCOMPARE(cert->file, QFileInfo(extra).absoluteFilePath());
    QCOMPARE(cert->line, 2);
    QCOMPARE(valueOf(config.value(), u"ssl_key"_s), u"/after.key"_s);
}

void tst_ConfigFile::includeRelativeToIncludingFile()
{
    // etc/my.cnf includes conf.d/a.cnf, which includes b.cnf: that is etc/conf.d/b.cnf, not
    // the decoy beside my.cnf or a file in the current folder.
    write(u"etc/conf.d/b.cnf"_s, "[mysqld]\nhttp_proxy_port = 8080\n");
    write(u"etc/b.cnf"_s, "[mysqld]\nhttp_proxy_port = 1\n");
    write(u"etc/conf.d/a.cnf"_s, "[mysqld]\n!include b.cnf\n");
    const QString file = write(u"etc/my.cnf"_s, "[mysqld]\n!include conf.d/a.cnf\n");

    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY2(config, qPrintable(config.ok() ? QString() : config.error().message));

    const ConfigEntry *http = config->find(u"http_proxy_port"_s);
    QVERIFY(http);
    QCOMPARE(http->value, u"8080"_s);
    QCOMPARE(http->file, path(u"etc/conf.d/b.cnf"_s));
}

void tst_ConfigFile::includeDir()
{
    // Only *.cnf files count, read in name order, so the last one sorted wins.
    write(u"etc/conf.d/20-second.cnf"_s, "[mysqld]\nhttp_proxy_port = 8082\n");
    write(u"etc/conf.d/10-first.cnf"_s, "[mysqld]\nhttp_proxy_port = 8081\nsocket = /s.sock\n");
    write(u"etc/conf.d/30-backup.cnf.bak"_s, "[mysqld]\nhttp_proxy_port = 1\n");
    write(u"etc/conf.d/40-notes.txt"_s, "[mysqld]\nhttp_proxy_port = 2\n");
    write(u"etc/conf.d/50-folder.cnf/inside.cnf"_s, "[mysqld]\nhttp_proxy_port = 3\n");
    const QString file = write(u"etc/my.cnf"_s, "[mysqld]\ndatadir = /data\n!includedir conf.d\n");

    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY2(config, qPrintable(config.ok() ? QString() : config.error().message));

    QCOMPARE(valueOf(config.value(), u"http_proxy_port"_s), u"8082"_s);
    QCOMPARE(valueOf(config.value(), u"socket"_s), u"/s.sock"_s);

    QStringList files;
    for (const ConfigEntry &entry : config->entries())
        files << QFileInfo(entry.file).fileName();
    const QStringList expected = {
        u"my.cnf"_s, u"10-first.cnf"_s, u"10-first.cnf"_s, u"20-second.cnf"_s
    };
    QCOMPARE(files, expected);
}

void tst_ConfigFile::includeNesting()
{
    // Five levels deep is an ordinary layout and reads.
    write(u"level5.cnf"_s, "[mysqld]\nhttp_proxy_port = 8080\n");
    for (int level = 4; level >= 1; --level) {
        write(u"level%1.cnf"_s.arg(level),
                "[mysqld]\n!include level" + QByteArray::number(level + 1) + ".cnf\n");
    }
    const Result<ConfigFile> deep = ConfigFile::read(path(u"level1.cnf"_s));
    QVERIFY2(deep, qPrintable(deep.ok() ? QString() : deep.error().message));
    QCOMPARE(valueOf(deep.value(), u"http_proxy_port"_s), u"8080"_s);

    // A file that includes itself ends with an error instead of recursing for ever.
    const QString loop = write(u"loop.cnf"_s, "[mysqld]\nport = 3306\n!include loop.cnf\n");
    const Result<ConfigFile> looping = ConfigFile::read(loop);
    QVERIFY(!looping);
    QCOMPARE(looping.error().code, ErrorCode::ConfigSyntax);
    QVERIFY2(looping.error().message.contains(loop), qPrintable(looping.error().message));
    QVERIFY2(looping.error().message.contains(lineMention(3)), qPrintable(looping.error().message));
}

void tst_ConfigFile::errors_data()
{
    QTest::addColumn<QByteArray>("main");
    QTest::addColumn<QByteArray>("included");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("faultyFile");
    QTest::addColumn<int>("line");

    const QByteArray start = "# the engine's options\n\n[mysqld]\nport = 3306\n";

    QTest::newRow("unclosed [group") << start + "[memsqld\nhttp_proxy_port = 8080\n"
                                     << QByteArray() << ErrorCode::ConfigSyntax << u"my.cnf"_s << 5;
    QTest::newRow("unbalanced double quote")
            << start + "ssl_cert = \"/etc/ssl/a.pem\n"
            << QByteArray() << ErrorCode::ConfigSyntax << u"my.cnf"_s << 5;
    QTest::newRow("unbalanced single quote")
            << start + "ssl_cert = '/etc/ssl/a.pem\n"
            << QByteArray() << ErrorCode::ConfigSyntax << u"my.cnf"_s << 5;
    QTest::newRow("mismatched quotes")
            << start + "ssl_cert = \"/etc/ssl/a.pem'\n"
            << QByteArray() << ErrorCode::ConfigSyntax << u"my.cnf"_s << 5;
    QTest::newRow("option without a name")
            << start + "= 8080\n"
            << QByteArray() << ErrorCode::ConfigSyntax << u"my.cnf"_s << 5;
    QTest::newRow("unknown directive")
            << start + "!inclde extra.cnf\n"
            << QByteArray() << ErrorCode::ConfigSyntax << u"my.cnf"_s << 5;
    QTest::newRow("directive without a target")
            << start + "!include\n"
            << QByteArray() << ErrorCode::ConfigSyntax << u"my.cnf"_s << 5;
    QTest::newRow("missing included folder")
            << start + "!includedir missing.d\n"
            << QByteArray() << ErrorCode::ConfigSyntax << u"my.cnf"_s << 5;
    QTest::newRow("error in an included file")
            << start + "!include conf.d/included.cnf\n"
            << "[mysqld]\n\nssl_key = \"/etc/ssl/a.key\n"_ba << ErrorCode::ConfigSyntax
            << u"conf.d/included.cnf"_s << 3;
    QTest::newRow("error in a file of an included folder")
            << start + "!includedir conf.d\n"
            << "[mysqld\n"_ba << ErrorCode::ConfigSyntax << u"conf.d/included.cnf"_s << 1;
}

void tst_ConfigFile::errors()
{
    QFETCH(QByteArray, main);
    QFETCH(QByteArray, included);
    QFETCH(ErrorCode, code);
    QFETCH(QString, faultyFile);
    QFETCH(int, line);

    if (!included.isNull())
        write(u"conf.d/included.cnf"_s, included);
    const Result<ConfigFile> config = ConfigFile::read(write(u"my.cnf"_s, main));
    QVERIFY2(!config, "the faulty file was accepted");

    const QString message = config.error().message;
    QCOMPARE(config.error().code, code);
    QVERIFY2(message.contains(path(faultyFile)), qPrintable(message));
    QVERIFY2(message.contains(lineMention(line)), qPrintable(message));
}

void tst_ConfigFile::unreadable_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("needsNonRoot");

    QTest::newRow("missing file") << u"missing.cnf"_s << false;
    QTest::newRow("missing folder") << u"missing/my.cnf"_s << false;
    QTest::newRow("no read permission") << u"secret.cnf"_s << true;
}

void tst_ConfigFile::unreadable()
{
    QFETCH(QString, name);
    QFETCH(bool, needsNonRoot);

    const QString file = path(name);
    if (needsNonRoot) {
        write(name, "[mysqld]\nhttp_proxy_port = 8080\n");
        QVERIFY(QFile::setPermissions(file, QFileDevice::WriteOwner));
        if (QFile(file).open(QIODevice::ReadOnly))
            QSKIP("this user reads files without read permission (root)");
    }

    const Result<ConfigFile> config = ConfigFile::read(file);
    QVERIFY(!config);
    QCOMPARE(config.error().code, ErrorCode::ConfigUnreadable);
    QVERIFY2(config.error().message.contains(file), qPrintable(config.error().message));
}

QTEST_GUILESS_MAIN(tst_ConfigFile)
#include "tst_configfile.moc"

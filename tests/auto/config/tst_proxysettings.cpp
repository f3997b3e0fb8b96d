#include "config/proxysettings.h"
#include "testsupport/testsupport.h"

#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::ErrorCode)
Q_DECLARE_METATYPE(StudioProxy::ProxyProtocol)
Q_DECLARE_METATYPE(StudioProxy::EngineEndpoint::Kind)

// The startup rules: which port and protocol the proxy serves, with which certificate files,
// which engine it relays to and where it logs, or the one error that stops it.
class tst_ProxySettings : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void accepted_data();
    void accepted();
    void refused_data();
    void refused();
    void missingSslSetting_data();
    void missingSslSetting();
    void sslPaths_data();
    void sslPaths();
    void engineEndpoint_data();
    void engineEndpoint();
    void logFolder_data();
    void logFolder();
    void noLogFolder();

private:
    QString path(const QString &relative) const { return m_dir->filePath(relative); }

    QString expand(QString text) const;
    QString write(const QString &relative, const QByteArray &text) const;
    Result<ProxySettings> settingsFor(
            const QByteArray &text, const QString &logFolderOverride = QString()) const;

    std::unique_ptr<QTemporaryDir> m_dir;
};

// Every config in this test is etc/memsql.cnf below a fresh folder: {dir} stands for that
// folder and {config} for the file, in config text as in expected messages and paths.
QString tst_ProxySettings::expand(QString text) const
{
    text.replace(u"{config}"_s, path(u"etc/memsql.cnf"_s));
    text.replace(u"{dir}"_s, m_dir->path());
    return text;
}

QString tst_ProxySettings::write(const QString &relative, const QByteArray &text) const
{
    const QString file = path(relative);
    TestSupport::writeFile(file, expand(QString::fromUtf8(text)).toUtf8());
    return file;
}

Result<ProxySettings> tst_ProxySettings::settingsFor(
        const QByteArray &text, const QString &logFolderOverride) const
{
    const Result<ConfigFile> config = ConfigFile::read(write(u"etc/memsql.cnf"_s, text));
    if (!config)
        return config.error();
    return proxySettingsFrom(config.value(), expand(logFolderOverride));
}

static const char *describe(const Result<ProxySettings> &settings)
{
    static QByteArray text;
    text = settings ? QByteArray("accepted") : settings.error().message.toUtf8();
    return text.constData();
}

void tst_ProxySettings::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dir->isValid(), qPrintable(m_dir->errorString()));
}

void tst_ProxySettings::accepted_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<ProxyProtocol>("protocol");
    QTest::addColumn<QString>("portKey");
    QTest::addColumn<int>("port");

    const QByteArray common = "datadir = /var/lib/memsql/data\n";
    const QByteArray ssl = "ssl_cert = /etc/ssl/server.pem\nssl_key = /etc/ssl/server.key\n";

    QTest::newRow("http only") << common + "http_proxy_port = 8080\n"
                               << ProxyProtocol::Plain << u"http_proxy_port"_s << 8080;
    QTest::newRow("https with ssl") << common + ssl + "https_proxy_port = 8443\n"
                                    << ProxyProtocol::Tls << u"https_proxy_port"_s << 8443;
    QTest::newRow("https 0, http set") << common + "https_proxy_port = 0\nhttp_proxy_port = 8080\n"
                                       << ProxyProtocol::Plain << u"http_proxy_port"_s << 8080;
    QTest::newRow("http 0, https set")
            << common + ssl + "http_proxy_port = 0\nhttps_proxy_port=443\n"
            << ProxyProtocol::Tls << u"https_proxy_port"_s << 443;
    QTest::newRow("https turned off by a later entry")
            << common + "https_proxy_port = 8443\nhttp_proxy_port = 8080\nhttps_proxy_port = 0\n"
            << ProxyProtocol::Plain << u"http_proxy_port"_s << 8080;
    QTest::newRow("https only in [client]")
            << "[mysqld]\n" + common + "http_proxy_port = 8080\n[client]\nhttps_proxy_port = 443\n"
            << ProxyProtocol::Plain << u"http_proxy_port"_s << 8080;
    QTest::newRow("dashes and loose-") << common + ssl + "loose-https-proxy-port = 9443\n"
                                       << ProxyProtocol::Tls << u"https_proxy_port"_s << 9443;
    QTest::newRow("highest port") << common + "http_proxy_port = 65535\n"
                                  << ProxyProtocol::Plain << u"http_proxy_port"_s << 65535;
}

void tst_ProxySettings::accepted()
{
    QFETCH(QByteArray, config);
    QFETCH(ProxyProtocol, protocol);
    QFETCH(QString, portKey);
    QFETCH(int, port);

    const Result<ProxySettings> settings = settingsFor(config);
    QVERIFY2(settings, describe(settings));

    QCOMPARE(settings->protocol, protocol);
    QCOMPARE(settings->scheme(), protocol == ProxyProtocol::Tls ? u"wss"_s : u"ws"_s);
    QCOMPARE(settings->portKey, portKey);
    QCOMPARE(int(settings->port), port);
    QCOMPARE(settings->configPath, expand(u"{config}"_s));
    if (protocol == ProxyProtocol::Tls) {
        QCOMPARE(settings->sslCert, u"/etc/ssl/server.pem"_s);
        QCOMPARE(settings->sslKey, u"/etc/ssl/server.key"_s);
    } else {
        QCOMPARE(settings->sslCert, QString());
        QCOMPARE(settings->sslKey, QString());
    }
}

void tst_ProxySettings::refused_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QStringList>("mentions");

    const QByteArray common = "datadir = /var/lib/memsql/data\n";
    const QByteArray ssl = "ssl_cert = /etc/ssl/server.pem\nssl_key = /etc/ssl/server.key\n";

    QTest::newRow("both ports")
            << common + ssl + "https_proxy_port = 8443\nhttp_proxy_port = 8080\n"
            << ErrorCode::PortConflict
            << QStringList { u"https_proxy_port"_s, u"http_proxy_port"_s, u"{config}"_s };
    QTest::newRow("both ports, in two files")
            << common + ssl + "https_proxy_port = 8443\n!include conf.d/proxy.cnf\n"
            << ErrorCode::PortConflict
            << QStringList { u"https_proxy_port"_s,
                   u"http_proxy_port"_s,
                   u"{config}"_s,
                   u"{dir}/etc/conf.d/proxy.cnf"_s };
    QTest::newRow("neither port") << common << ErrorCode::NoProxyPort
                                  << QStringList {
                                         u"https_proxy_port"_s, u"http_proxy_port"_s, u"{config}"_s
                                     };
    QTest::newRow("both ports 0") << common + "https_proxy_port = 0\nhttp_proxy_port = 0\n"
                                  << ErrorCode::NoProxyPort << QStringList { u"{config}"_s };
    QTest::newRow("port only in [client]")
            << "[mysqld]\n" + common + "[client]\nhttp_proxy_port = 8080\n"
            << ErrorCode::NoProxyPort << QStringList { u"{config}"_s };

    struct Invalid
    {
        const char *name;
        const char *key;
        const char *value;
    };

    const Invalid invalid[] = {
        { "https_proxy_port abc", "https_proxy_port", "abc" },
        { "https_proxy_port 70000", "https_proxy_port", "70000" },
        { "https_proxy_port -1", "https_proxy_port", "-1" },
        { "https_proxy_port 65536", "https_proxy_port", "65536" },
        { "https_proxy_port 8443x", "https_proxy_port", "8443x" },
        { "http_proxy_port abc", "http_proxy_port", "abc" },
        { "http_proxy_port 70000", "http_proxy_port", "70000" },
        { "http_proxy_port -1", "http_proxy_port", "-1" },
        { "http_proxy_port empty", "http_proxy_port", "" },
    };
    for (const Invalid &row : invalid) {
        // Line 3, after two lines of other settings, so the line number is not a default.
        QTest::newRow(row.name) << "port = 3306\n" + common + row.key + " = " + row.value + '\n'
                                << ErrorCode::InvalidValue
                                << QStringList {
                                       QString::fromLatin1(row.key), u"{config}"_s, u"line 3"_s
                                   };
    }
    QTest::newRow("engine port abc, no socket")
            << "http_proxy_port = 8080\ntracelogsdir = /tmp\nport = abc\n"_ba
            << ErrorCode::InvalidValue << QStringList { u"port"_s, u"{config}"_s, u"line 3"_s };
}

void tst_ProxySettings::refused()
{
    QFETCH(QByteArray, config);
    QFETCH(ErrorCode, code);
    QFETCH(QStringList, mentions);

    write(u"etc/conf.d/proxy.cnf"_s, "http_proxy_port = 8080\n");
    const Result<ProxySettings> settings = settingsFor(config);
    QVERIFY2(!settings, "the proxy would start");

    QCOMPARE(settings.error().code, code);
    for (const QString &mention : std::as_const(mentions)) {
        // A whole word: "port" must not be found inside "http_proxy_port".
        const QString expected = expand(mention);
        const QRegularExpression word(
                u"(?<!\\w)%1(?!\\w)"_s.arg(QRegularExpression::escape(expected)));
        QVERIFY2(settings.error().message.contains(word),
                qPrintable(u"\"%1\" is not in: %2"_s.arg(expected, settings.error().message)));
    }
}

void tst_ProxySettings::missingSslSetting_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("missing");

    const QByteArray https = "datadir = /data\nhttps_proxy_port = 8443\n";

    QTest::newRow("no ssl_cert") << https + "ssl_key = /etc/ssl/server.key\n"
                                 << QStringList { u"ssl_cert"_s };
    QTest::newRow("no ssl_key") << https + "ssl_cert = /etc/ssl/server.pem\n"
                                << QStringList { u"ssl_key"_s };
    QTest::newRow("neither") << https << QStringList { u"ssl_cert"_s, u"ssl_key"_s };
    QTest::newRow("empty ssl_cert") << https + "ssl_cert =\nssl_key = /etc/ssl/server.key\n"
                                    << QStringList { u"ssl_cert"_s };
    QTest::newRow("empty quoted ssl_key")
            << https + "ssl_cert = /etc/ssl/server.pem\nssl_key = ''\n"
            << QStringList { u"ssl_key"_s };
    QTest::newRow("ssl only in [client]")
            << "[mysqld]\n" + https + "[client]\nssl_cert = /a.pem\nssl_key = /a.key\n"
            << QStringList { u"ssl_cert"_s, u"ssl_key"_s };
}

void tst_ProxySettings::missingSslSetting()
{
    QFETCH(QByteArray, config);
    QFETCH(QStringList, missing);

    const Result<ProxySettings> settings = settingsFor(config);
    QVERIFY2(!settings, "the proxy would start without a certificate");
    QCOMPARE(settings.error().code, ErrorCode::SslSettingMissing);

    const QString message = settings.error().message;
    QVERIFY2(message.contains(expand(u"{config}"_s)), qPrintable(message));

    // The sentence that states the problem names the missing keys and only those; advice
    // after it may name both.
    const QString problem = message.section(u';', 0, 0);
    for (const QString &key : { u"ssl_cert"_s, u"ssl_key"_s }) {
        QVERIFY2(problem.contains(key) == missing.contains(key),
                qPrintable(u"%1 %2 missing, but the message says: %3"_s.arg(
                        key, missing.contains(key) ? u"is"_s : u"is not"_s, message)));
    }
}

void tst_ProxySettings::sslPaths_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("existing");
    QTest::addColumn<QString>("expectedCert");

    const QByteArray https = "https_proxy_port = 8443\ndatadir = {dir}/data\nssl_key = /k.pem\n";

    QTest::newRow("absolute") << https + "ssl_cert = {dir}/certs/server.pem\n"
                              << QStringList() << u"{dir}/certs/server.pem"_s;
    QTest::newRow("beside the config file")
            << https + "ssl_cert = server.pem\n"
            << QStringList { u"etc/server.pem"_s } << u"{dir}/etc/server.pem"_s;
    QTest::newRow("only in datadir")
            << https + "ssl_cert = server.pem\n"
            << QStringList { u"data/server.pem"_s } << u"{dir}/data/server.pem"_s;
    QTest::newRow("in both: the config folder first")
            << https + "ssl_cert = server.pem\n"
            << QStringList { u"data/server.pem"_s, u"etc/server.pem"_s }
            << u"{dir}/etc/server.pem"_s;
    QTest::newRow("in neither: named beside the config file")
            << https + "ssl_cert = server.pem\n"
            << QStringList() << u"{dir}/etc/server.pem"_s;
    QTest::newRow("subfolder of datadir")
            << https + "ssl_cert = ssl/server.pem\n"
            << QStringList { u"data/ssl/server.pem"_s } << u"{dir}/data/ssl/server.pem"_s;
    QTest::newRow("parent folder")
            << https + "ssl_cert = ../certs/server.pem\n"
            << QStringList { u"certs/server.pem"_s } << u"{dir}/certs/server.pem"_s;
    QTest::newRow("relative datadir")
            << "https_proxy_port = 8443\ndatadir = ../data\nssl_key = /k.pem\nssl_cert = s.pem\n"_ba
            << QStringList { u"data/s.pem"_s } << u"{dir}/data/s.pem"_s;
    QTest::newRow("named in an included file")
            << https + "!include conf.d/ssl.cnf\n"
            << QStringList { u"etc/conf.d/server.pem"_s } << u"{dir}/etc/conf.d/server.pem"_s;
}

void tst_ProxySettings::sslPaths()
{
    QFETCH(QByteArray, config);
    QFETCH(QStringList, existing);
    QFETCH(QString, expectedCert);

    for (const QString &file : std::as_const(existing))
        write(file, "not read by the startup rules\n");
    write(u"etc/conf.d/ssl.cnf"_s, "ssl_cert = server.pem\n");

    const Result<ProxySettings> settings = settingsFor(config);
    QVERIFY2(settings, describe(settings));

    QCOMPARE(settings->sslCert, expand(expectedCert));
    QVERIFY(QFileInfo(settings->sslKey).isAbsolute());
}

void tst_ProxySettings::engineEndpoint_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<EngineEndpoint::Kind>("kind");
    QTest::addColumn<QString>("socketPath");
    QTest::addColumn<int>("port");

    using Kind = EngineEndpoint::Kind;
    const QByteArray proxy = "http_proxy_port = 8080\ntracelogsdir = /var/log/memsql\n";

    QTest::newRow("socket") << proxy + "socket = /run/memsql/engine.sock\n"
                            << Kind::UnixSocket << u"/run/memsql/engine.sock"_s << 0;
    QTest::newRow("socket wins over datadir")
            << proxy + "datadir = /data\nsocket = /run/engine.sock\nport = 3307\n"
            << Kind::UnixSocket << u"/run/engine.sock"_s << 0;
    QTest::newRow("relative socket") << proxy + "socket = run/engine.sock\n"
                                     << Kind::UnixSocket << u"{dir}/etc/run/engine.sock"_s << 0;
    QTest::newRow("datadir") << proxy + "datadir = /var/lib/memsql/data\nport = 3307\n"
                             << Kind::UnixSocket << u"/var/lib/memsql/data/memsql.sock"_s << 0;
    QTest::newRow("empty socket, datadir") << proxy + "socket =\ndatadir = /data\n"
                                           << Kind::UnixSocket << u"/data/memsql.sock"_s << 0;
    QTest::newRow("socket only in [client]")
            << "[mysqld]\n" + proxy + "datadir = /data\n[client]\nsocket = /tmp/client.sock\n"
            << Kind::UnixSocket << u"/data/memsql.sock"_s << 0;
    QTest::newRow("neither: TCP default port") << proxy << Kind::Tcp << QString() << 3306;
    QTest::newRow("neither: TCP port") << proxy + "port = 3307\n" << Kind::Tcp << QString() << 3307;
    QTest::newRow("neither: TCP port 0") << proxy + "port = 0\n" << Kind::Tcp << QString() << 3306;
}

void tst_ProxySettings::engineEndpoint()
{
    QFETCH(QByteArray, config);
    QFETCH(EngineEndpoint::Kind, kind);
    QFETCH(QString, socketPath);
    QFETCH(int, port);

    const Result<ProxySettings> settings = settingsFor(config);
    QVERIFY2(settings, describe(settings));

    const EngineEndpoint &engine = settings->engine;
    QCOMPARE(engine.kind, kind);
    if (kind == EngineEndpoint::Kind::UnixSocket) {
        QCOMPARE(engine.socketPath, expand(socketPath));
        QCOMPARE(engine.toString(), u"unix:"_s + expand(socketPath));
    } else {
        QCOMPARE(engine.host, u"127.0.0.1"_s);
        QCOMPARE(int(engine.port), port);
        QCOMPARE(engine.toString(), u"tcp:127.0.0.1:%1"_s.arg(port));
    }
}

void tst_ProxySettings::logFolder_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QString>("logDirOption");
    QTest::addColumn<QString>("expected");

    const QByteArray proxy = "http_proxy_port = 8080\n";

    QTest::newRow("--log-dir wins") << proxy + "tracelogsdir = {dir}/trace\ndatadir = {dir}/data\n"
                                    << u"{dir}/cli"_s << u"{dir}/cli"_s;
    QTest::newRow("--log-dir without config") << proxy << u"{dir}/cli"_s << u"{dir}/cli"_s;
    QTest::newRow("tracelogsdir") << proxy + "tracelogsdir = {dir}/trace\n"
                                  << QString() << u"{dir}/trace"_s;
    QTest::newRow("tracelogsdir wins over datadir")
            << proxy + "datadir = {dir}/data\ntracelogsdir = {dir}/trace\n"
            << QString() << u"{dir}/trace"_s;
    QTest::newRow("datadir") << proxy + "datadir = {dir}/data\n"
                             << QString() << u"{dir}/data/tracelogs"_s;
    QTest::newRow("empty tracelogsdir, datadir") << proxy + "tracelogsdir =\ndatadir = {dir}/data\n"
                                                 << QString() << u"{dir}/data/tracelogs"_s;
    QTest::newRow("tracelogsdir only in [client]")
            << "[mysqld]\n" + proxy + "datadir = {dir}/data\n[client]\ntracelogsdir = /x\n"
            << QString() << u"{dir}/data/tracelogs"_s;
}

void tst_ProxySettings::logFolder()
{
    QFETCH(QByteArray, config);
    QFETCH(QString, logDirOption);
    QFETCH(QString, expected);

    const Result<ProxySettings> settings = settingsFor(config, logDirOption);
    QVERIFY2(settings, describe(settings));
    QCOMPARE(settings->logFolder, expand(expected));
}

void tst_ProxySettings::noLogFolder()
{
    const Result<ProxySettings> settings = settingsFor("http_proxy_port = 8080\nport = 3306\n");
    QVERIFY2(!settings, "the proxy would start without a log");

    QCOMPARE(settings.error().code, ErrorCode::LogUnwritable);
    const QString message = settings.error().message;
    QVERIFY2(message.contains(expand(u"{config}"_s)), qPrintable(message));
    QVERIFY2(message.contains(u"tracelogsdir"_s), qPrintable(message));
    QVERIFY2(message.contains(u"--log-dir"_s), qPrintable(message));
}

QTEST_GUILESS_MAIN(tst_ProxySettings)
#include "tst_proxysettings.moc"

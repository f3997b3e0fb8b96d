#include "config/configfile.h"
#include "config/proxysettings.h"
#include "config/runtimevariables.h"
#include "testsupport/testsupport.h"

#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::ErrorCode)
Q_DECLARE_METATYPE(StudioProxy::ProxyProtocol)

// The proxy's runtime variables: read from the engine's config file at start, changed by
// SET GLOBAL, and checked by the startup rules again at every RESTART PROXY. Messages must
// tell the admin where a value came from, so that they fix it in the right place.
class tst_RuntimeVariables : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void ports_data();
    void ports();
    void invalidPort_data();
    void invalidPort();
    void paths_data();
    void paths();
    void set_data();
    void set();
    void setRefused_data();
    void setRefused();
    void definitions();
    void applyRuntime_data();
    void applyRuntime();
    void applyRefused_data();
    void applyRefused();

private:
    QString path(const QString &relative) const { return m_dir->filePath(relative); }

    QString expand(QString text) const;
    QString write(const QString &relative, const QByteArray &text) const;
    RuntimeVariables fromConfig(const QByteArray &text) const;

    std::unique_ptr<QTemporaryDir> m_dir;
};

// {dir} is the test's folder and {config} the config file in it, etc/my.cnf.
QString tst_RuntimeVariables::expand(QString text) const
{
    text.replace(u"{config}"_s, path(u"etc/my.cnf"_s));
    text.replace(u"{dir}"_s, m_dir->path());
    return text;
}

QString tst_RuntimeVariables::write(const QString &relative, const QByteArray &text) const
{
    const QString file = path(relative);
    TestSupport::writeFile(file, expand(QString::fromUtf8(text)).toUtf8());
    return file;
}

// The variables of etc/my.cnf holding text; a test failure when they do not read.
RuntimeVariables tst_RuntimeVariables::fromConfig(const QByteArray &text) const
{
    const Result<ConfigFile> config = ConfigFile::read(write(u"etc/my.cnf"_s, text));
    if (!config)
        qFatal("config does not read: %s", qPrintable(config.error().message));
    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config.value());
    if (!variables)
        qFatal("variables do not read: %s", qPrintable(variables.error().message));
    return variables.value();
}

void tst_RuntimeVariables::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dir->isValid(), qPrintable(m_dir->errorString()));

    // Certificate files beside the config, in the datadir, and in both.
    for (const QString &file : { u"etc/certs/beside-config.pem"_s,
                 u"data/certs/in-datadir.pem"_s,
                 u"etc/certs/in-both.pem"_s,
                 u"data/certs/in-both.pem"_s,
                 u"etc/conf.d/ssl/included.pem"_s }) {
        write(file, "-----BEGIN CERTIFICATE-----\n"_ba);
    }
}

void tst_RuntimeVariables::ports_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QString>("https");
    QTest::addColumn<QString>("http");
    QTest::addColumn<QString>("source");

    QTest::newRow("https") << "[mysqld]\nport = 3306\nhttps_proxy_port = 8443\n"_ba << u"8443"_s
                           << QString() << u"{config} line 3"_s;
    QTest::newRow("http, spelled with hyphens") << "[server]\nhttp-proxy-port = 8080\n"_ba
                                                << QString() << u"8080"_s << u"{config} line 2"_s;
    QTest::newRow("0 is unset") << "https_proxy_port = 0\nhttp_proxy_port = 8080\n"_ba << QString()
                                << u"8080"_s << u"{config} line 2"_s;
    QTest::newRow("leading zeros")
            << "http_proxy_port = 08080\n"_ba << QString() << u"8080"_s << u"{config} line 1"_s;
    QTest::newRow("highest port") << "http_proxy_port = 65535\n"_ba << QString() << u"65535"_s
                                  << u"{config} line 1"_s;
    QTest::newRow("later entry wins")
            << "http_proxy_port = 8080\n# again\nhttp_proxy_port = 8081\n"_ba << QString()
            << u"8081"_s << u"{config} line 3"_s;
    QTest::newRow("later 0 switches off") << "http_proxy_port = 8080\nhttp_proxy_port = 0\n"_ba
                                          << QString() << QString() << QString();
    QTest::newRow("only for the client")
            << "[client]\nhttp_proxy_port = 8080\n"_ba << QString() << QString() << QString();
    QTest::newRow("in an include") << "[mysqld]\n!include conf.d/proxy.cnf\n"_ba << u"9443"_s
                                   << QString() << u"{dir}/etc/conf.d/proxy.cnf line 3"_s;
}

void tst_RuntimeVariables::ports()
{
    QFETCH(QByteArray, config);
    QFETCH(QString, https);
    QFETCH(QString, http);
    QFETCH(QString, source);

    write(u"etc/conf.d/proxy.cnf"_s, "# proxy\n[mysqld]\nhttps_proxy_port = 9443\n"_ba);
    const RuntimeVariables variables = fromConfig(config);

    QCOMPARE(variables.value(u"https_proxy_port"_s), https);
    QCOMPARE(variables.value(u"http_proxy_port"_s), http);
    QCOMPARE(variables.isSet(u"https_proxy_port"_s), !https.isEmpty());
    QCOMPARE(variables.isSet(u"http_proxy_port"_s), !http.isEmpty());
    QCOMPARE(variables.port(u"https_proxy_port"_s), quint16(https.toUInt()));
    QCOMPARE(variables.port(u"http_proxy_port"_s), quint16(http.toUInt()));

    const QString set = https.isEmpty() ? u"http_proxy_port"_s : u"https_proxy_port"_s;
    QCOMPARE(variables.source(set), expand(source));
    const QString file = source.isEmpty() ? QString() : expand(source).section(u' ', 0, 0);
    QCOMPARE(variables.sourceFile(set), file);
    QCOMPARE(variables.configPath(), path(u"etc/my.cnf"_s));
}

void tst_RuntimeVariables::invalidPort_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("where");
    QTest::addColumn<QString>("value");

    QTest::newRow("above 65535") << "[mysqld]\nport = 3306\nhttps_proxy_port = 65536\n"_ba
                                 << u"https_proxy_port"_s << u"{config} line 3"_s << u"65536"_s;
    QTest::newRow("negative") << "http_proxy_port = -1\n"_ba << u"http_proxy_port"_s
                              << u"{config} line 1"_s << u"-1"_s;
    QTest::newRow("a word") << "# proxy\nhttp-proxy-port = http\n"_ba << u"http_proxy_port"_s
                            << u"{config} line 2"_s << u"http"_s;
    QTest::newRow("trailing letters") << "http_proxy_port = 8080x # ws\n"_ba << u"http_proxy_port"_s
                                      << u"{config} line 1"_s << u"8080x"_s;
    QTest::newRow("in an include") << "!include conf.d/bad.cnf\n"_ba << u"https_proxy_port"_s
                                   << u"{dir}/etc/conf.d/bad.cnf line 2"_s << u"443s"_s;
}

void tst_RuntimeVariables::invalidPort()
{
    QFETCH(QByteArray, config);
    QFETCH(QString, key);
    QFETCH(QString, where);
    QFETCH(QString, value);

    write(u"etc/conf.d/bad.cnf"_s, "[server]\nhttps_proxy_port = 443s\n"_ba);
    const Result<ConfigFile> file = ConfigFile::read(write(u"etc/my.cnf"_s, config));
    QVERIFY2(file, qPrintable(file.ok() ? QString() : file.error().message));

    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(file.value());
    QVERIFY2(!variables, "an invalid port was accepted");
    QCOMPARE(variables.error().code, ErrorCode::InvalidValue);
    const QString message = variables.error().message;
    QVERIFY2(message.contains(key), qPrintable(message));
    QVERIFY2(message.contains(expand(where)), qPrintable(message));
    QVERIFY2(message.contains(u"\"%1\""_s.arg(value)), qPrintable(message));
}

void tst_RuntimeVariables::paths_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expected");

    QTest::newRow("absolute") << "ssl_cert = /etc/ssl/../ssl/server.pem\n"_ba << u"ssl_cert"_s
                              << u"/etc/ssl/server.pem"_s;
    QTest::newRow("beside the config")
            << "datadir = {dir}/data\nssl_cert = certs/beside-config.pem\n"_ba << u"ssl_cert"_s
            << u"{dir}/etc/certs/beside-config.pem"_s;
    QTest::newRow("only in the datadir")
            << "datadir = {dir}/data\nssl_key = certs/in-datadir.pem\n"_ba << u"ssl_key"_s
            << u"{dir}/data/certs/in-datadir.pem"_s;
    QTest::newRow("datadir named after the path")
            << "ssl_key = certs/in-datadir.pem\ndatadir = {dir}/data\n"_ba << u"ssl_key"_s
            << u"{dir}/data/certs/in-datadir.pem"_s;
    QTest::newRow("relative datadir") << "datadir = ../data\nssl_ca = ./certs/in-datadir.pem\n"_ba
                                      << u"ssl_ca"_s << u"{dir}/data/certs/in-datadir.pem"_s;
    QTest::newRow("in both: the config folder first")
            << "datadir = {dir}/data\nssl_cert = certs/in-both.pem\n"_ba << u"ssl_cert"_s
            << u"{dir}/etc/certs/in-both.pem"_s;
    QTest::newRow("in neither: against the config folder")
            << "datadir = {dir}/data\nssl_cert = certs/missing.pem\n"_ba << u"ssl_cert"_s
            << u"{dir}/etc/certs/missing.pem"_s;
    QTest::newRow("no datadir, missing") << "ssl_cert = certs/missing.pem\n"_ba << u"ssl_cert"_s
                                         << u"{dir}/etc/certs/missing.pem"_s;
    QTest::newRow("named in an include: against the include's folder")
            << "!include conf.d/ssl.cnf\n"_ba << u"ssl_cert"_s
            << u"{dir}/etc/conf.d/ssl/included.pem"_s;
    QTest::newRow("quoted, with a space")
            << "ssl_ca = \"certs/my ca.pem\"\n"_ba << u"ssl_ca"_s << u"{dir}/etc/certs/my ca.pem"_s;
    QTest::newRow("empty is unset") << "ssl_ca =\n"_ba << u"ssl_ca"_s << QString();
}

void tst_RuntimeVariables::paths()
{
    QFETCH(QByteArray, config);
    QFETCH(QString, key);
    QFETCH(QString, expected);

    write(u"etc/conf.d/ssl.cnf"_s, "[mysqld]\nssl_cert = ssl/included.pem\n"_ba);
    const RuntimeVariables variables = fromConfig(config);

    QCOMPARE(variables.value(key), expand(expected));
    QCOMPARE(variables.isSet(key), !expected.isEmpty());
}

void tst_RuntimeVariables::set_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");

    QTest::newRow("port") << u"http_proxy_port"_s << u"9090"_s << u"9090"_s;
    QTest::newRow("port with spaces") << u"https_proxy_port"_s << u" 9443 "_s << u"9443"_s;
    QTest::newRow("port with leading zeros") << u"https_proxy_port"_s << u"0443"_s << u"443"_s;
    QTest::newRow("port 0 unsets") << u"https_proxy_port"_s << u"0"_s << QString();
    QTest::newRow("empty port unsets") << u"https_proxy_port"_s << QString() << QString();
    QTest::newRow("empty path unsets") << u"ssl_cert"_s << QString() << QString();
    QTest::newRow("blank path unsets") << u"ssl_cert"_s << u"  "_s << QString();
    QTest::newRow("absolute path") << u"ssl_ca"_s << u"/etc/ssl//ca.pem"_s << u"/etc/ssl/ca.pem"_s;
    QTest::newRow("relative path beside the config")
            << u"ssl_cert"_s << u"certs/beside-config.pem"_s
            << u"{dir}/etc/certs/beside-config.pem"_s;
    QTest::newRow("relative path in the datadir")
            << u"ssl_key"_s << u"certs/in-datadir.pem"_s << u"{dir}/data/certs/in-datadir.pem"_s;
    QTest::newRow("relative path in both")
            << u"ssl_key"_s << u"certs/in-both.pem"_s << u"{dir}/etc/certs/in-both.pem"_s;
}

void tst_RuntimeVariables::set()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, expected);

    RuntimeVariables variables = fromConfig("[mysqld]\n"
                                            "datadir = {dir}/data\n"
                                            "https_proxy_port = 8443\n"
                                            "ssl_cert = certs/in-both.pem\n"_ba);
    QVERIFY(variables.isSet(u"https_proxy_port"_s));

    const Result<void> set = variables.set(name, value);
    QVERIFY2(set, qPrintable(set.ok() ? QString() : set.error().message));

    QCOMPARE(variables.value(name), expand(expected));
    QCOMPARE(variables.isSet(name), !expected.isEmpty());
    QCOMPARE(variables.source(name), expected.isEmpty() ? QString() : u"SET GLOBAL"_s);
    QCOMPARE(variables.sourceFile(name), QString());

    // The others keep their value and where it came from.
    if (name != u"https_proxy_port") {
        QCOMPARE(variables.value(u"https_proxy_port"_s), u"8443"_s);
        QCOMPARE(variables.source(u"https_proxy_port"_s), expand(u"{config} line 3"_s));
        QCOMPARE(variables.sourceFile(u"https_proxy_port"_s), expand(u"{config}"_s));
    }
}

void tst_RuntimeVariables::setRefused_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QStringList>("mentions");

    QTest::newRow("unknown variable")
            << u"proxy_port"_s << u"8080"_s << QStringList { u"\"proxy_port\""_s };
    QTest::newRow("engine variable")
            << u"datadir"_s << u"/var/lib/mysql"_s << QStringList { u"\"datadir\""_s };
    QTest::newRow("empty name") << QString() << u"1"_s << QStringList { u"\"\""_s };
    QTest::newRow("port above 65535") << u"https_proxy_port"_s << u"65536"_s
                                      << QStringList { u"https_proxy_port"_s, u"\"65536\""_s };
    QTest::newRow("negative port") << u"http_proxy_port"_s << u"-8080"_s
                                   << QStringList { u"http_proxy_port"_s, u"\"-8080\""_s };
    QTest::newRow("port as a word") << u"http_proxy_port"_s << u"auto"_s
                                    << QStringList { u"http_proxy_port"_s, u"\"auto\""_s };
    QTest::newRow("two ports") << u"http_proxy_port"_s << u"80 81"_s
                               << QStringList { u"http_proxy_port"_s, u"\"80 81\""_s };
}

void tst_RuntimeVariables::setRefused()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QStringList, mentions);

    RuntimeVariables variables = fromConfig("https_proxy_port = 8443\nhttp_proxy_port = 0\n"_ba);
    const Result<void> set = variables.set(name, value);
    QVERIFY2(!set, "accepted");
    QCOMPARE(set.error().code, ErrorCode::InvalidValue);
    for (const QString &mention : std::as_const(mentions))
        QVERIFY2(set.error().message.contains(mention), qPrintable(set.error().message));

    // Nothing changed.
    QCOMPARE(variables.value(u"https_proxy_port"_s), u"8443"_s);
    QCOMPARE(variables.source(u"https_proxy_port"_s), expand(u"{config} line 1"_s));
    QVERIFY(!variables.isSet(u"http_proxy_port"_s));
}

void tst_RuntimeVariables::definitions()
{
    QStringList names;
    for (const RuntimeVariables::Definition &definition : RuntimeVariables::definitions())
        names << definition.name;
    QCOMPARE(names,
            QStringList({ u"https_proxy_port"_s,
                    u"http_proxy_port"_s,
                    u"ssl_cert"_s,
                    u"ssl_key"_s,
                    u"ssl_ca"_s,
                    u"ssl_key_passphrase_file"_s,
                    u"proxy_max_sessions"_s,
                    u"proxy_max_frame_size"_s,
                    u"proxy_handshake_timeout"_s,
                    u"proxy_engine_connect_timeout"_s,
                    u"proxy_idle_timeout"_s,
                    u"proxy_ping_interval"_s,
                    u"proxy_pong_timeout"_s,
                    u"proxy_allowed_origins"_s }));
    QCOMPARE(
            RuntimeVariables::definition(u"http_proxy_port"_s)->kind, RuntimeVariables::Kind::Port);
    QCOMPARE(RuntimeVariables::definition(u"ssl_ca"_s)->kind, RuntimeVariables::Kind::Path);
    QVERIFY(!RuntimeVariables::definition(u"port"_s));
}

// Each row: the config, then SET GLOBAL name=value pairs, then what applyVariables serves.
void tst_RuntimeVariables::applyRuntime_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("sets");
    QTest::addColumn<ProxyProtocol>("protocol");
    QTest::addColumn<quint16>("port");
    QTest::addColumn<QString>("portKey");
    QTest::addColumn<QString>("sslCert");

    QTest::newRow("https to http")
            << "https_proxy_port = 8443\nssl_cert = /c.pem\nssl_key = /k.pem\n"_ba
            << QStringList { u"https_proxy_port"_s, u"0"_s, u"http_proxy_port"_s, u"8080"_s }
            << ProxyProtocol::Plain << quint16(8080) << u"http_proxy_port"_s << QString();
    QTest::newRow("http to https") << "http_proxy_port = 8080\n"_ba
                                   << QStringList { u"http_proxy_port"_s,
                                          u"0"_s,
                                          u"https_proxy_port"_s,
                                          u"8443"_s,
                                          u"ssl_cert"_s,
                                          u"certs/beside-config.pem"_s,
                                          u"ssl_key"_s,
                                          u"/k.pem"_s }
                                   << ProxyProtocol::Tls << quint16(8443) << u"https_proxy_port"_s
                                   << u"{dir}/etc/certs/beside-config.pem"_s;
    QTest::newRow("another port") << "http_proxy_port = 8080\n"_ba
                                  << QStringList { u"http_proxy_port"_s, u"8081"_s }
                                  << ProxyProtocol::Plain << quint16(8081) << u"http_proxy_port"_s
                                  << QString();
}

void tst_RuntimeVariables::applyRuntime()
{
    QFETCH(QByteArray, config);
    QFETCH(QStringList, sets);
    QFETCH(ProxyProtocol, protocol);
    QFETCH(quint16, port);
    QFETCH(QString, portKey);
    QFETCH(QString, sslCert);

    RuntimeVariables variables = fromConfig(config);
    for (qsizetype i = 0; i + 1 < sets.size(); i += 2) {
        const Result<void> set = variables.set(sets.at(i), sets.at(i + 1));
        QVERIFY2(set, qPrintable(set.ok() ? QString() : set.error().message));
    }

    const Result<ProxySettings> settings = applyVariables(variables);
    QVERIFY2(settings, qPrintable(settings.ok() ? QString() : settings.error().message));
    QCOMPARE(settings->protocol, protocol);
    QCOMPARE(settings->port, port);
    QCOMPARE(settings->portKey, portKey);
    QCOMPARE(settings->sslCert, expand(sslCert));
    QCOMPARE(settings->configPath, path(u"etc/my.cnf"_s));
}

void tst_RuntimeVariables::applyRefused_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("sets");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QStringList>("mentions");
    QTest::addColumn<QStringList>("notMentioned");

    QTest::newRow("both ports with SET GLOBAL")
            << "# nothing yet\n"_ba
            << QStringList { u"http_proxy_port"_s, u"8080"_s, u"https_proxy_port"_s, u"8443"_s }
            << ErrorCode::PortConflict << QStringList { u"8080"_s, u"8443"_s, u"with SET GLOBAL"_s }
            << QStringList { u"{config}"_s };
    QTest::newRow("http in the file, https with SET GLOBAL")
            << "http_proxy_port = 8080\n"_ba
            << QStringList { u"https_proxy_port"_s,
                   u"8443"_s,
                   u"ssl_cert"_s,
                   u"/c.pem"_s,
                   u"ssl_key"_s,
                   u"/k.pem"_s }
            << ErrorCode::PortConflict << QStringList { u"8080"_s, u"8443"_s, u"in {config}"_s }
            << QStringList();
    QTest::newRow("https with SET GLOBAL, no SSL")
            << "http_proxy_port = 8080\n"_ba
            << QStringList { u"http_proxy_port"_s, u"0"_s, u"https_proxy_port"_s, u"8443"_s }
            << ErrorCode::SslSettingMissing
            << QStringList { u"https_proxy_port"_s, u"ssl_cert and ssl_key are not set"_s }
            << QStringList { u"{config}"_s };
    QTest::newRow("https with SET GLOBAL, no key")
            << "ssl_cert = /c.pem\n"_ba << QStringList { u"https_proxy_port"_s, u"8443"_s }
            << ErrorCode::SslSettingMissing << QStringList { u"ssl_key is not set"_s }
            << QStringList { u"{config}"_s };
    QTest::newRow("ssl_key unset with SET GLOBAL")
            << "https_proxy_port = 8443\nssl_cert = /c.pem\nssl_key = /k.pem\n"_ba
            << QStringList { u"ssl_key"_s, QString() } << ErrorCode::SslSettingMissing
            << QStringList { u"ssl_key is not set in {config}"_s } << QStringList();
    QTest::newRow("both ports set to 0")
            << "http_proxy_port = 8080\n"_ba << QStringList { u"http_proxy_port"_s, u"0"_s }
            << ErrorCode::NoProxyPort << QStringList { u"{config}"_s } << QStringList();
}

void tst_RuntimeVariables::applyRefused()
{
    QFETCH(QByteArray, config);
    QFETCH(QStringList, sets);
    QFETCH(ErrorCode, code);
    QFETCH(QStringList, mentions);
    QFETCH(QStringList, notMentioned);

    RuntimeVariables variables = fromConfig(config);
    for (qsizetype i = 0; i + 1 < sets.size(); i += 2) {
        const Result<void> set = variables.set(sets.at(i), sets.at(i + 1));
        QVERIFY2(set, qPrintable(set.ok() ? QString() : set.error().message));
    }

    const Result<ProxySettings> settings = applyVariables(variables);
    QVERIFY2(!settings, "the variables were applied");
    QCOMPARE(settings.error().code, code);
    const QString message = settings.error().message;
    for (const QString &mention : std::as_const(mentions))
        QVERIFY2(message.contains(expand(mention)), qPrintable(message));
    for (const QString &mention : std::as_const(notMentioned))
        QVERIFY2(!message.contains(expand(mention)), qPrintable(message));
}

QTEST_GUILESS_MAIN(tst_RuntimeVariables)
#include "tst_runtimevariables.moc"

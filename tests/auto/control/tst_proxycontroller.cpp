#include "config/configfile.h"
#include "config/proxysettings.h"
#include "config/runtimevariables.h"
#include "control/controlprotocol.h"
#include "control/controlserver.h"
#include "control/proxycontroller.h"
#include "log/eventlog.h"
#include "testsupport/testsupport.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::ErrorCode)

// The proxy controller in this process, with a real listener on real ports: what SET GLOBAL
// and RESTART PROXY do to what serves, and that a restart is all or nothing. No engine is
// needed: nothing here gets past the WebSocket handshake, so the engine socket may be missing.
// Then the control channel: ControlServer's answers, and the Unix socket it listens on.
class tst_ProxyController : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void start();
    void startOnBusyPort();
    void restartOnAnotherPort();
    void restartOnSamePort();
    void bothPorts();
    void portInUse();
    void httpsKeyMismatch();
    void bothPortsZero();

    void handleStatus();
    void handleSet_data();
    void handleSet();
    void handleRestart();
    void handleSql();
    void handleUpdateConfig();
    void handleUnknown_data();
    void handleUnknown();

    void listenMode();
    void listenRefusedWhileAlive();
    void listenReplacesStale();
    void listenKeepsAFileThatIsNotASocket();

private:
    QString path(const QString &relative) const { return m_dir->filePath(relative); }

    static bool accepts(quint16 port);
    static bool refuses(quint16 port);
    static QString messageOf(const Result<QString> &result);
    Result<void> createController(quint16 httpPort);
    QJsonObject roundTrip(ControlServer &server, const QJsonObject &request) const;
    static QJsonObject askOverSocket(const QString &socketPath, const QJsonObject &request);

    QTemporaryDir m_certs;
    bool m_haveCerts = false;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<EventLog> m_log;
    std::unique_ptr<ProxyController> m_controller;
    QString m_configPath;
    quint16 m_port = 0; // what the controller starts on
    quint16 m_otherPort = 0; // free too, for the restarts
};

// Whether a TCP connection to port on this host completes (the kernel accepts it into the
// listen queue; nothing needs to be sent).
bool tst_ProxyController::accepts(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    const bool connected = socket.waitForConnected(5000);
    socket.abort();
    return connected;
}

bool tst_ProxyController::refuses(quint16 port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    const bool connected = socket.waitForConnected(5000);
    const QAbstractSocket::SocketError error = socket.error();
    socket.abort();
    return !connected && error == QAbstractSocket::ConnectionRefusedError;
}

QString tst_ProxyController::messageOf(const Result<QString> &result)
{
    return result ? result.value() : result.error().message;
}

void tst_ProxyController::initTestCase()
{
    QVERIFY2(m_certs.isValid(), qPrintable(m_certs.errorString()));
    if (QStandardPaths::findExecutable(u"openssl"_s).isEmpty() || !QSslSocket::supportsSsl())
        return; // httpsKeyMismatch skips, saying why

    // A self-signed certificate for localhost with its key, and the key of another pair.
    TestSupport::writeFile(m_certs.filePath(u"openssl.cnf"_s),
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = localhost\n");
    const QString commands[] = {
        u"req -config openssl.cnf -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-days 365 -keyout key.pem -out cert.pem"_s,
        u"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key"_s,
    };
    for (const QString &command : commands) {
        const QString error = TestSupport::runOpenssl(m_certs.path(), command);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }
    m_haveCerts = true;
}

void tst_ProxyController::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY2(m_dir->isValid(), qPrintable(m_dir->errorString()));
    m_log = std::make_unique<EventLog>();
    const Result<void> opened = m_log->open(path(u"log"_s));
    QVERIFY2(opened, qPrintable(opened.ok() ? QString() : opened.error().message));

    m_port = TestSupport::freePort();
    m_otherPort = TestSupport::freePort();
    QVERIFY(m_port && m_otherPort && m_port != m_otherPort);
}

void tst_ProxyController::cleanup()
{
    m_controller.reset();
    m_log.reset();
    m_dir.reset();
}

// A controller for etc/my.cnf serving ws:// on httpPort, with an engine socket that does not
// exist; started when the config allows it.
Result<void> tst_ProxyController::createController(quint16 httpPort)
{
    m_configPath = path(u"etc/my.cnf"_s);
    TestSupport::writeFile(m_configPath,
            u"# test config\n[mysqld]\nsocket = %1\nhttp_proxy_port = %2\n"_s
                    .arg(path(u"engine.sock"_s), QString::number(httpPort))
                    .toUtf8());

    const Result<ConfigFile> config = ConfigFile::read(m_configPath);
    if (!config)
        return config.error();
    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config.value());
    if (!variables)
        return variables.error();
    const Result<ProxySettings> settings = proxySettingsFrom(config.value(), path(u"log"_s));
    if (!settings)
        return settings.error();
    m_controller = std::make_unique<ProxyController>(
            config.value(), variables.value(), settings.value(), m_log.get());
    return m_controller->start();
}

void tst_ProxyController::start()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));

    const Result<ProxyStatus> status = m_controller->status();
    QVERIFY(status);
    QCOMPARE(status->state, ProxyStatus::State::Running);
    QCOMPARE(m_controller->state(), ProxyStatus::State::Running);
    QCOMPARE(status->protocol, ProxyProtocol::Plain);
    QCOMPARE(status->port, m_port);
    QCOMPARE(status->address, u"*"_s);
    QVERIFY(status->since.isValid());
    QCOMPARE(status->engine, u"unix:"_s + path(u"engine.sock"_s));
    QCOMPARE(status->configPath, m_configPath);
    QVERIFY(status->conflicts.isEmpty());
    QVERIFY(accepts(m_port));
}

void tst_ProxyController::startOnBusyPort()
{
    QTcpServer holder;
    QVERIFY2(holder.listen(QHostAddress::Any, 0), qPrintable(holder.errorString()));

    const Result<void> started = createController(holder.serverPort());
    QVERIFY2(!started, "started on a port another program holds");
    QCOMPARE(started.error().code, ErrorCode::PortInUse);
    QVERIFY2(started.error().message.contains(QString::number(holder.serverPort())),
            qPrintable(started.error().message));
    QCOMPARE(m_controller->state(), ProxyStatus::State::Stopped);
    QCOMPARE(m_controller->status()->port, quint16(0));
}

void tst_ProxyController::restartOnAnotherPort()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    QSignalSpy stateChanged(m_controller.get(), &ProxyController::stateChanged);

    const Result<QStringList> set =
            m_controller->set(u"http_proxy_port"_s, QString::number(m_otherPort));
    QVERIFY2(set, qPrintable(set.ok() ? QString() : set.error().message));
    QVERIFY2(set->isEmpty(), qPrintable(set->join(u'\n')));

    // Set, not applied: the variable shows the new port, what serves is the old one.
    Result<ProxyStatus> status = m_controller->status();
    QCOMPARE(status->port, m_port);
    QCOMPARE(status->variables.at(1).name, u"http_proxy_port"_s);
    QCOMPARE(status->variables.at(1).value, QString::number(m_otherPort));
    QCOMPARE(status->variables.at(1).source, u"SET GLOBAL"_s);
    QVERIFY(accepts(m_port));
    QCOMPARE(stateChanged.size(), 0);

    const Result<QString> restarted = m_controller->restart();
    QVERIFY2(restarted, qPrintable(messageOf(restarted)));
    QVERIFY2(restarted->contains(u"serving ws on port %1 (was ws on port %2)"_s.arg(
                     QString::number(m_otherPort), QString::number(m_port))),
            qPrintable(restarted.value()));

    status = m_controller->status();
    QCOMPARE(status->state, ProxyStatus::State::Running);
    QCOMPARE(status->port, m_otherPort);
    QCOMPARE(stateChanged.size(), 1);
    QVERIFY(accepts(m_otherPort));
    QVERIFY(refuses(m_port));
}

void tst_ProxyController::restartOnSamePort()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));

    QTcpSocket before;
    before.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(before.waitForConnected(5000));

    const Result<QString> restarted = m_controller->restart();
    QVERIFY2(restarted, qPrintable(messageOf(restarted)));
    QCOMPARE(m_controller->status()->port, m_port);
    QCOMPARE(m_controller->state(), ProxyStatus::State::Running);

    QTcpSocket after;
    after.connectToHost(QHostAddress::LocalHost, m_port);
    QVERIFY(after.waitForConnected(5000));
    QCOMPARE(before.state(), QAbstractSocket::ConnectedState);

    // Twice more: each restart shares the socket of the one before.
    QVERIFY(m_controller->restart());
    QVERIFY(m_controller->restart());
    QVERIFY(accepts(m_port));
}

static bool mentionsBoth(const Conflict &conflict)
{
    return conflict.message.contains(u"https_proxy_port"_s)
            && conflict.message.contains(u"http_proxy_port"_s);
}

static QString describe(const QList<Conflict> &conflicts)
{
    QStringList messages;
    for (const Conflict &conflict : conflicts)
        messages << conflict.message;
    return messages.join(u'\n');
}

void tst_ProxyController::bothPorts()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));

    const Result<QStringList> set =
            m_controller->set(u"https_proxy_port"_s, QString::number(m_otherPort));
    QVERIFY2(!set, "both ports set without an error");
    QCOMPARE(set.error().code, ErrorCode::PortConflict);

    // Stored all the same, so that the admin sees what they set.
    QCOMPARE(m_controller->variables().value(u"https_proxy_port"_s), QString::number(m_otherPort));
    const QList<Conflict> conflicts = m_controller->conflicts();
    const auto portConflict = std::find_if(conflicts.cbegin(), conflicts.cend(), mentionsBoth);
    QVERIFY2(portConflict != conflicts.cend(), qPrintable(describe(conflicts)));
    QCOMPARE(portConflict->severity, Conflict::Severity::Error);

    const Result<QString> restarted = m_controller->restart();
    QVERIFY2(!restarted, qPrintable(messageOf(restarted)));
    QCOMPARE(restarted.error().code, ErrorCode::PortConflict);
    QVERIFY2(restarted.error().message.contains(
                     u"still serving ws on port %1"_s.arg(QString::number(m_port))),
            qPrintable(restarted.error().message));

    const Result<ProxyStatus> status = m_controller->status();
    QCOMPARE(status->state, ProxyStatus::State::Running);
    QCOMPARE(status->port, m_port);
    QVERIFY(std::any_of(status->conflicts.cbegin(), status->conflicts.cend(), mentionsBoth));
    QVERIFY(accepts(m_port));
    QVERIFY(refuses(m_otherPort));

    // Resolved by the next SET GLOBAL.
    QVERIFY(m_controller->set(u"http_proxy_port"_s, u"0"_s));
    const QList<Conflict> remaining = m_controller->conflicts();
    QVERIFY2(std::none_of(remaining.cbegin(), remaining.cend(), mentionsBoth),
            qPrintable(describe(remaining)));
}

void tst_ProxyController::portInUse()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    QTcpServer holder;
    QVERIFY2(holder.listen(QHostAddress::Any, 0), qPrintable(holder.errorString()));
    const QString busy = QString::number(holder.serverPort());

    QVERIFY(m_controller->set(u"http_proxy_port"_s, busy));
    const Result<QString> restarted = m_controller->restart();
    QVERIFY2(!restarted, qPrintable(messageOf(restarted)));
    QCOMPARE(restarted.error().code, ErrorCode::PortInUse);
    QVERIFY2(restarted.error().message.contains(u"port %1"_s.arg(busy)),
            qPrintable(restarted.error().message));
    QVERIFY2(restarted.error().message.contains(
                     u"still serving ws on port %1"_s.arg(QString::number(m_port))),
            qPrintable(restarted.error().message));

    QCOMPARE(m_controller->state(), ProxyStatus::State::Running);
    QCOMPARE(m_controller->status()->port, m_port);
    QVERIFY(accepts(m_port));
}

void tst_ProxyController::httpsKeyMismatch()
{
    if (!m_haveCerts)
        QSKIP("the openssl command line and a Qt TLS backend are needed for wss://");
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));

    QVERIFY(m_controller->set(u"http_proxy_port"_s, u"0"_s));
    QVERIFY(m_controller->set(u"ssl_cert"_s, m_certs.filePath(u"cert.pem"_s)));
    QVERIFY(m_controller->set(u"ssl_key"_s, m_certs.filePath(u"other.key"_s)));
    QVERIFY(m_controller->set(u"https_proxy_port"_s, QString::number(m_otherPort)));

    const Result<QString> restarted = m_controller->restart();
    QVERIFY2(!restarted, qPrintable(messageOf(restarted)));
    QCOMPARE(restarted.error().code, ErrorCode::KeyMismatch);
    QVERIFY2(restarted.error().message.contains(m_certs.filePath(u"other.key"_s)),
            qPrintable(restarted.error().message));
    QVERIFY2(restarted.error().message.contains(
                     u"still serving ws on port %1"_s.arg(QString::number(m_port))),
            qPrintable(restarted.error().message));

    Result<ProxyStatus> status = m_controller->status();
    QCOMPARE(status->state, ProxyStatus::State::Running);
    QCOMPARE(status->protocol, ProxyProtocol::Plain);
    QCOMPARE(status->port, m_port);
    QVERIFY(accepts(m_port));
    QVERIFY(refuses(m_otherPort));

    // With its own key, the same restart goes through.
    QVERIFY(m_controller->set(u"ssl_key"_s, m_certs.filePath(u"key.pem"_s)));
    const Result<QString> fixed = m_controller->restart();
    QVERIFY2(fixed, qPrintable(messageOf(fixed)));
    status = m_controller->status();
    QCOMPARE(status->protocol, ProxyProtocol::Tls);
    QCOMPARE(status->port, m_otherPort);
    QVERIFY(!status->certificateFingerprint.isEmpty());
    QVERIFY2(fixed->contains(status->certificateFingerprint), qPrintable(fixed.value()));
    QVERIFY(accepts(m_otherPort));
    QVERIFY(refuses(m_port));
}

void tst_ProxyController::bothPortsZero()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    QSignalSpy stateChanged(m_controller.get(), &ProxyController::stateChanged);

    QVERIFY(m_controller->set(u"http_proxy_port"_s, u"0"_s));
    QVERIFY(m_controller->set(u"https_proxy_port"_s, u"0"_s));
    const Result<QString> restarted = m_controller->restart();
    QVERIFY2(restarted, qPrintable(messageOf(restarted)));

    QCOMPARE(m_controller->state(), ProxyStatus::State::Stopped);
    const Result<ProxyStatus> status = m_controller->status();
    QCOMPARE(status->state, ProxyStatus::State::Stopped);
    QCOMPARE(status->port, quint16(0));
    QCOMPARE(stateChanged.size(), 1);
    QVERIFY(refuses(m_port));

    // A port again, and it serves again.
    QVERIFY(m_controller->set(u"http_proxy_port"_s, QString::number(m_otherPort)));
    const Result<QString> again = m_controller->restart();
    QVERIFY2(again, qPrintable(messageOf(again)));
    QCOMPARE(m_controller->status()->state, ProxyStatus::State::Running);
    QCOMPARE(m_controller->status()->port, m_otherPort);
    QVERIFY(accepts(m_otherPort));
}

// The request and the answer both pass through their JSON text, as on the control socket.
QJsonObject tst_ProxyController::roundTrip(ControlServer &server, const QJsonObject &request) const
{
    const QJsonObject sent =
            QJsonDocument::fromJson(QJsonDocument(request).toJson(QJsonDocument::Compact)).object();
    const QJsonObject answer = server.handle(sent);
    return QJsonDocument::fromJson(QJsonDocument(answer).toJson(QJsonDocument::Compact)).object();
}

void tst_ProxyController::handleStatus()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    QVERIFY(m_controller->set(u"ssl_ca"_s, u"/etc/ssl/ca.pem"_s));
    ControlServer server(m_controller.get(), m_log.get());

    const QJsonObject response = roundTrip(server, { { u"command"_s, u"status"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(true));
    const ProxyStatus received = ProxyStatus::fromJson(response.value(u"result"_s).toObject());
    const ProxyStatus expected = m_controller->status().value();

    QCOMPARE(received.state, expected.state);
    QCOMPARE(received.port, expected.port);
    QCOMPARE(received.protocol, expected.protocol);
    QCOMPARE(received.address, expected.address);
    QCOMPARE(received.since, expected.since);
    QCOMPARE(received.configPath, expected.configPath);
    QCOMPARE(received.variables.size(), expected.variables.size());
    for (qsizetype i = 0; i < expected.variables.size(); ++i) {
        QCOMPARE(received.variables.at(i).name, expected.variables.at(i).name);
        QCOMPARE(received.variables.at(i).value, expected.variables.at(i).value);
        QCOMPARE(received.variables.at(i).source, expected.variables.at(i).source);
    }
    QCOMPARE(received.variables.at(1).value, QString::number(m_port));
    QCOMPARE(received.variables.at(1).source, m_configPath + u" line 4"_s);
    QCOMPARE(received.variables.at(4).value, u"/etc/ssl/ca.pem"_s);
    QCOMPARE(received.variables.at(4).source, u"SET GLOBAL"_s);
}

void tst_ProxyController::handleSet_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<ErrorCode>("code");

    QTest::newRow("another port") << u"http_proxy_port"_s << u"{other}"_s << true
                                  << ErrorCode::ControlFailed;
    QTest::newRow("a path") << u"ssl_ca"_s << u"/etc/ssl/ca.pem"_s << true
                            << ErrorCode::ControlFailed;
    QTest::newRow("unknown variable") << u"bogus"_s << u"1"_s << false << ErrorCode::InvalidValue;
    QTest::newRow("bad port") << u"http_proxy_port"_s << u"65536"_s << false
                              << ErrorCode::InvalidValue;
    QTest::newRow("both ports") << u"https_proxy_port"_s << u"{other}"_s << false
                                << ErrorCode::PortConflict;
}

void tst_ProxyController::handleSet()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(bool, ok);
    QFETCH(ErrorCode, code);

    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    ControlServer server(m_controller.get(), m_log.get());
    value.replace(u"{other}"_s, QString::number(m_otherPort));

    const QJsonObject response = roundTrip(
            server, { { u"command"_s, u"set"_s }, { u"name"_s, name }, { u"value"_s, value } });
    QCOMPARE(response.value(u"ok"_s).toBool(), ok);
    if (ok) {
        QVERIFY(response.value(u"result"_s).isArray());
        QCOMPARE(m_controller->variables().value(name), value);
    } else {
        const Error error = ControlProtocol::errorFrom(response);
        QCOMPARE(error.code, code);
        QVERIFY(!error.message.isEmpty());
    }
    QCOMPARE(m_controller->status()->port, m_port);
}

void tst_ProxyController::handleRestart()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    ControlServer server(m_controller.get(), m_log.get());

    roundTrip(server,
            { { u"command"_s, u"set"_s },
                    { u"name"_s, u"http_proxy_port"_s },
                    { u"value"_s, QString::number(m_otherPort) } });
    QJsonObject response = roundTrip(server, { { u"command"_s, u"restart"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(true));
    QVERIFY2(response.value(u"result"_s).toString().contains(QString::number(m_otherPort)),
            qPrintable(response.value(u"result"_s).toString()));
    QCOMPARE(m_controller->status()->port, m_otherPort);

    // A refused restart comes back as an error with its code.
    QTcpServer holder;
    QVERIFY(holder.listen(QHostAddress::Any, 0));
    roundTrip(server,
            { { u"command"_s, u"set"_s },
                    { u"name"_s, u"http_proxy_port"_s },
                    { u"value"_s, QString::number(holder.serverPort()) } });
    response = roundTrip(server, { { u"command"_s, u"restart"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(false));
    const Error error = ControlProtocol::errorFrom(response);
    QCOMPARE(error.code, ErrorCode::PortInUse);
    QVERIFY2(error.message.contains(QString::number(holder.serverPort())),
            qPrintable(error.message));
    QCOMPARE(m_controller->status()->port, m_otherPort);
}

void tst_ProxyController::handleSql()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    ControlServer server(m_controller.get(), m_log.get());

    const QJsonObject response = roundTrip(server,
            { { u"command"_s, u"sql"_s },
                    { u"statements"_s,
                            u"SET GLOBAL ssl_ca = '/etc/ssl/ca.pem'; SHOW VARIABLES LIKE "
                            "'ssl%'; SELECT 1; SHOW PROXY STATUS"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(true));
    const QJsonArray list = response.value(u"result"_s).toArray();
    QCOMPARE(list.size(), 3);

    const StatementResult set = ControlProtocol::statementFrom(list.at(0).toObject());
    QCOMPARE(set.statement, u"SET GLOBAL ssl_ca = '/etc/ssl/ca.pem'"_s);
    QCOMPARE(set.errorNumber, 0);

    const StatementResult show = ControlProtocol::statementFrom(list.at(1).toObject());
    QCOMPARE(show.errorNumber, 0);
    QCOMPARE(show.columns, QStringList({ u"Variable_name"_s, u"Value"_s }));
    QCOMPARE(show.rows,
            QList<QStringList>({ { u"ssl_cert"_s, QString() },
                    { u"ssl_key"_s, QString() },
                    { u"ssl_ca"_s, u"/etc/ssl/ca.pem"_s },
                    { u"ssl_key_passphrase_file"_s, QString() } }));

    const StatementResult select = ControlProtocol::statementFrom(list.at(2).toObject());
    QCOMPARE(select.statement, u"SELECT 1"_s);
    QCOMPARE(select.errorNumber, 1064);
}

void tst_ProxyController::handleUpdateConfig()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    ControlServer server(m_controller.get(), m_log.get());
    QFile config(m_configPath);
    QVERIFY(config.open(QIODevice::ReadOnly));
    const QByteArray before = config.readAll();
    config.close();

    QJsonObject response = roundTrip(server,
            { { u"command"_s, u"update-config"_s },
                    { u"key"_s, u"ssl_ca"_s },
                    { u"value"_s, u"/etc/ssl/my ca.pem"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(true));
    ConfigUpdate update = ControlProtocol::configUpdateFrom(response.value(u"result"_s).toObject());
    QCOMPARE(update.file, m_configPath);
    QCOMPARE(update.backup, m_configPath + u".bak"_s);
    QCOMPARE(update.change, u"ssl_ca = \"/etc/ssl/my ca.pem\""_s);
    QVERIFY(config.open(QIODevice::ReadOnly));
    QCOMPARE(config.readAll(), before + "ssl_ca = \"/etc/ssl/my ca.pem\"\n"_ba);
    config.close();

    // Persisting does not change the runtime variable: that takes SET GLOBAL.
    QVERIFY(!m_controller->variables().isSet(u"ssl_ca"_s));

    // Without a value: removed again.
    response =
            roundTrip(server, { { u"command"_s, u"update-config"_s }, { u"key"_s, u"ssl_ca"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(true));
    update = ControlProtocol::configUpdateFrom(response.value(u"result"_s).toObject());
    QCOMPARE(update.change, u"removed ssl_ca"_s);
    QVERIFY(config.open(QIODevice::ReadOnly));
    QCOMPARE(config.readAll(), before);
    config.close();

    // Removing what is not there is an error, with its code.
    response =
            roundTrip(server, { { u"command"_s, u"update-config"_s }, { u"key"_s, u"ssl_ca"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(false));
    QCOMPARE(ControlProtocol::errorFrom(response).code, ErrorCode::InvalidValue);
}

void tst_ProxyController::handleUnknown_data()
{
    QTest::addColumn<QJsonObject>("request");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("unknown command")
            << QJsonObject { { u"command"_s, u"reboot"_s } } << u"\"reboot\""_s;
    QTest::newRow("no command") << QJsonObject { { u"name"_s, u"x"_s } } << u"\"\""_s;
    QTest::newRow("command not a string")
            << QJsonObject { { u"command"_s, 1 } } << u"expected status, set"_s;
}

void tst_ProxyController::handleUnknown()
{
    QFETCH(QJsonObject, request);
    QFETCH(QString, mentions);

    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    ControlServer server(m_controller.get(), m_log.get());

    const QJsonObject response = roundTrip(server, request);
    QCOMPARE(response.value(u"ok"_s), QJsonValue(false));
    const Error error = ControlProtocol::errorFrom(response);
    QCOMPARE(error.code, ErrorCode::ControlFailed);
    QVERIFY2(error.message.contains(mentions), qPrintable(error.message));
}

// Sends one request line on the control socket and waits for the answer line.
QJsonObject tst_ProxyController::askOverSocket(
        const QString &socketPath, const QJsonObject &request)
{
    QLocalSocket socket;
    socket.connectToServer(socketPath);
    if (!socket.waitForConnected(5000))
        return {};
    socket.write(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    QDeadlineTimer deadline(10000);
    while (!socket.canReadLine() && !deadline.hasExpired())
        QTest::qWait(10);
    return QJsonDocument::fromJson(socket.readLine()).object();
}

static int modeOf(const QString &file, bool *isSocket = nullptr)
{
    struct stat status
    { };

    if (::lstat(QFile::encodeName(file).constData(), &status) != 0)
        return -1;
    if (isSocket)
        *isSocket = S_ISSOCK(status.st_mode);
    return int(status.st_mode & 07777);
}

void tst_ProxyController::listenMode()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    const QString socketPath = path(u"run/control.sock"_s);

    {
        ControlServer server(m_controller.get(), m_log.get());
        const Result<void> listening = server.listen(socketPath);
        QVERIFY2(listening, qPrintable(listening.ok() ? QString() : listening.error().message));
        QCOMPARE(server.path(), socketPath);

        bool isSocket = false;
        QCOMPARE(modeOf(socketPath, &isSocket), 0600);
        QVERIFY(isSocket);

        const QJsonObject response = askOverSocket(socketPath, { { u"command"_s, u"status"_s } });
        QCOMPARE(response.value(u"ok"_s), QJsonValue(true));
        QCOMPARE(ProxyStatus::fromJson(response.value(u"result"_s).toObject()).port, m_port);
    }

    // Gone with the server that made it.
    QVERIFY(!QFile::exists(socketPath));
}

void tst_ProxyController::listenRefusedWhileAlive()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    const QString socketPath = path(u"control.sock"_s);

    ControlServer first(m_controller.get(), m_log.get());
    QVERIFY(first.listen(socketPath));

    ControlServer second(m_controller.get(), m_log.get());
    const Result<void> refused = second.listen(socketPath);
    QVERIFY2(!refused, "a second server took over a live control socket");
    QCOMPARE(refused.error().code, ErrorCode::ControlUnavailable);
    QVERIFY2(refused.error().message.contains(socketPath), qPrintable(refused.error().message));

    // The first one still answers on it.
    bool isSocket = false;
    QCOMPARE(modeOf(socketPath, &isSocket), 0600);
    QVERIFY(isSocket);
    const QJsonObject response = askOverSocket(socketPath, { { u"command"_s, u"status"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(true));
}

void tst_ProxyController::listenReplacesStale()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    const QString socketPath = path(u"control.sock"_s);

    // Bound and closed without unlinking, as a killed proxy leaves it.
    const int descriptor = ::socket(AF_UNIX, SOCK_STREAM, 0);
    QVERIFY(descriptor >= 0);
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const QByteArray name = QFile::encodeName(socketPath);
    QVERIFY(size_t(name.size()) < sizeof address.sun_path);
    std::copy(name.cbegin(), name.cend(), address.sun_path);
    QCOMPARE(::bind(descriptor, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
    ::close(descriptor);
    QVERIFY(QFile::exists(socketPath));

    ControlServer server(m_controller.get(), m_log.get());
    const Result<void> listening = server.listen(socketPath);
    QVERIFY2(listening, qPrintable(listening.ok() ? QString() : listening.error().message));

    bool isSocket = false;
    QCOMPARE(modeOf(socketPath, &isSocket), 0600);
    QVERIFY(isSocket);
    const QJsonObject response = askOverSocket(socketPath, { { u"command"_s, u"status"_s } });
    QCOMPARE(response.value(u"ok"_s), QJsonValue(true));
}

// A path that holds anything but a socket (a mistyped --control-socket naming a config file)
// is refused, and the file is left as it was.
void tst_ProxyController::listenKeepsAFileThatIsNotASocket()
{
    const Result<void> started = createController(m_port);
    QVERIFY2(started, qPrintable(started.ok() ? QString() : started.error().message));
    const QString filePath = path(u"control.sock"_s);
    TestSupport::writeFile(filePath, "not a socket\n");

    ControlServer server(m_controller.get(), m_log.get());
    const Result<void> listening = server.listen(filePath);
    QVERIFY(!listening);
    QVERIFY2(listening.error().message.contains(u"not a socket"_s),
            qPrintable(listening.error().message));
    QFile file(filePath);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), "not a socket\n"_ba);
}

QTEST_GUILESS_MAIN(tst_ProxyController)
#include "tst_proxycontroller.moc"

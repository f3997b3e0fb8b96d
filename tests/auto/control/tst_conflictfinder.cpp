#include "control/conflictfinder.h"
#include "testsupport/testsupport.h"

#include <QCoreApplication>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// The conflicts the desktop app shows in its banner, and the one-click fix of each: those
// the controller reports, a port held by another process (a real listening socket), Studio
// cluster definitions that disagree with the proxy, and a certificate (made with openssl)
// that does not name the hostname Studio uses.
class tst_ConflictFinder : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void controllerConflictsGetFixes_data();
    void controllerConflictsGetFixes();
    void portListener();
    void portHeldByAnotherProcess();
    void portHeldByTheProxyItself();
    void clusters_data();
    void clusters();
    void certificateNames_data();
    void certificateNames();

private:
    static ProxyStatus statusWith(const QList<std::pair<QString, QString>> &variables);
    static QList<Conflict> ofKind(const QList<Conflict> &conflicts, Conflict::Kind kind);

    QTemporaryDir m_dir;
    QString m_cert;
    QString m_key;
};

void tst_ConflictFinder::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_cert = m_dir.filePath(u"server.pem"_s);
    m_key = m_dir.filePath(u"server.key"_s);
    const QString failed = TestSupport::runOpenssl(m_dir.path(),
            u"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 "
            "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
            "-keyout server.key -out server.pem"_s);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
}

ProxyStatus tst_ConflictFinder::statusWith(const QList<std::pair<QString, QString>> &variables)
{
    ProxyStatus status;
    status.pid = QCoreApplication::applicationPid();
    for (const auto &[name, value] : variables)
        status.variables.append({ name, value, QString() });
    return status;
}

QList<Conflict> tst_ConflictFinder::ofKind(const QList<Conflict> &conflicts, Conflict::Kind kind)
{
    QList<Conflict> found;
    for (const Conflict &conflict : conflicts) {
        if (conflict.kind == kind)
            found.append(conflict);
    }
    return found;
}

void tst_ConflictFinder::controllerConflictsGetFixes_data()
{
    QTest::addColumn<QList<std::pair<QString, QString>>>("variables");
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("action");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");

    const QString free = QString::number(TestSupport::freePort());
    QTest::newRow("both ports, with a certificate: keep HTTPS")
            << QList<std::pair<QString, QString>> { { u"https_proxy_port"_s, free },
                   { u"http_proxy_port"_s, u"8080"_s },
                   { u"ssl_cert"_s, u"/etc/ssl/proxy.pem"_s } }
            << int(Conflict::Kind::BothPorts) << int(ConflictFix::Action::SetVariable)
            << u"http_proxy_port"_s << u"0"_s;
    QTest::newRow("both ports, no certificate: keep HTTP")
            << QList<std::pair<QString, QString>> { { u"https_proxy_port"_s, free },
                   { u"http_proxy_port"_s, u"8080"_s } }
            << int(Conflict::Kind::BothPorts) << int(ConflictFix::Action::SetVariable)
            << u"https_proxy_port"_s << u"0"_s;
    QTest::newRow("HTTPS without SSL: the certificates page")
            << QList<std::pair<QString, QString>> { { u"https_proxy_port"_s, free } }
            << int(Conflict::Kind::HttpsWithoutSsl) << int(ConflictFix::Action::OpenCertificates)
            << QString() << QString();
    QTest::newRow("pong timeout: twice the ping interval")
            << QList<std::pair<QString, QString>> { { u"http_proxy_port"_s, free },
                   { u"proxy_ping_interval"_s, u"40"_s } }
            << int(Conflict::Kind::PongTimeout) << int(ConflictFix::Action::SetVariable)
            << u"proxy_pong_timeout"_s << u"80"_s;
    QTest::newRow("expiring certificate: renew it")
            << QList<std::pair<QString, QString>> { { u"https_proxy_port"_s, free } }
            << int(Conflict::Kind::CertificateExpiry) << int(ConflictFix::Action::OpenCertificates)
            << QString() << QString();
}

void tst_ConflictFinder::controllerConflictsGetFixes()
{
    using Variables = QList<std::pair<QString, QString>>;
    QFETCH(Variables, variables);
    QFETCH(int, kind);
    QFETCH(int, action);
    QFETCH(QString, key);
    QFETCH(QString, value);

    ConflictInputs inputs;
    inputs.status = statusWith(variables);
    inputs.status.conflicts.append(Conflict(
            Conflict::Severity::Error, u"as the controller says it"_s, Conflict::Kind(kind)));
    const QList<Conflict> found = ofKind(findConflicts(inputs), Conflict::Kind(kind));
    QCOMPARE(found.size(), 1);
    QCOMPARE(found.constFirst().message, u"as the controller says it"_s);
    QCOMPARE(int(found.constFirst().fix.action), action);
    QCOMPARE(found.constFirst().fix.key, key);
    QCOMPARE(found.constFirst().fix.value, value);
    QVERIFY(!found.constFirst().fix.label.isEmpty());
}

void tst_ConflictFinder::portListener()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::Any, 0));
    const PortListener holder = findPortListener(server.serverPort());
    QVERIFY(holder.listening);
    QCOMPARE(holder.pid, QCoreApplication::applicationPid());
    QVERIFY2(u"tst_conflictfinder"_s.startsWith(holder.command), qPrintable(holder.command));

    const quint16 port = server.serverPort();
    server.close();
    QVERIFY(!findPortListener(port).listening);
    // The suggestion skips a port in use.
    QVERIFY(server.listen(QHostAddress::Any, port));
    QVERIFY(suggestFreePort(port) > port);
}

void tst_ConflictFinder::portHeldByAnotherProcess()
{
    // This test holds the port; the proxy is "another" process (a pid that is not ours).
    QTcpServer holder;
    QVERIFY(holder.listen(QHostAddress::Any, 0));
    ConflictInputs inputs;
    inputs.status = statusWith({ { u"http_proxy_port"_s, QString::number(holder.serverPort()) } });
    inputs.status.pid = 1;
    const QList<Conflict> found = ofKind(findConflicts(inputs), Conflict::Kind::PortInUse);
    QCOMPARE(found.size(), 1);
    const Conflict &conflict = found.constFirst();
    QVERIFY2(conflict.message.contains(u"port %1"_s.arg(holder.serverPort())),
            qPrintable(conflict.message));
    QVERIFY2(conflict.message.contains(u"pid %1"_s.arg(QCoreApplication::applicationPid())),
            qPrintable(conflict.message));
    QCOMPARE(conflict.fix.action, ConflictFix::Action::SetVariable);
    QCOMPARE(conflict.fix.key, u"http_proxy_port"_s);
    QVERIFY(conflict.fix.value.toUInt() > holder.serverPort());
    QVERIFY(!findPortListener(quint16(conflict.fix.value.toUInt())).listening);

    // Nobody on it: no conflict.
    const quint16 port = holder.serverPort();
    holder.close();
    QVERIFY(ofKind(findConflicts(inputs), Conflict::Kind::PortInUse).isEmpty());
    Q_UNUSED(port);
}

void tst_ConflictFinder::portHeldByTheProxyItself()
{
    QTcpServer proxy;
    QVERIFY(proxy.listen(QHostAddress::Any, 0));
    ConflictInputs inputs;
    inputs.status = statusWith({ { u"http_proxy_port"_s, QString::number(proxy.serverPort()) } });
    inputs.status.state = ProxyStatus::State::Running;
    inputs.status.port = proxy.serverPort();
    QVERIFY(ofKind(findConflicts(inputs), Conflict::Kind::PortInUse).isEmpty());
    // Stopped, but the socket is the proxy process's own (a listener still closing).
    inputs.status.state = ProxyStatus::State::Stopped;
    QVERIFY(ofKind(findConflicts(inputs), Conflict::Kind::PortInUse).isEmpty());
}

void tst_ConflictFinder::clusters_data()
{
    QTest::addColumn<QString>("hostname");
    QTest::addColumn<int>("port");
    QTest::addColumn<bool>("websocket");
    QTest::addColumn<bool>("websocketSSL");
    QTest::addColumn<bool>("conflict");

    QTest::newRow("agrees") << u"localhost"_s << 8443 << true << true << false;
    QTest::newRow("agrees, by address") << u"127.0.0.1"_s << 8443 << true << true << false;
    QTest::newRow("plain WebSocket") << u"localhost"_s << 8443 << true << false << true;
    QTest::newRow("another port") << u"LOCALHOST"_s << 9000 << true << true << true;
    QTest::newRow("MySQL protocol to the proxy port")
            << u"localhost"_s << 8443 << false << false << true;
    QTest::newRow("direct to the engine") << u"localhost"_s << 3306 << false << false << false;
    QTest::newRow("another host, its own proxy")
            << u"db.example.com"_s << 9443 << true << true << false;
    QTest::newRow("another name, this proxy's port, wrong SSL")
            << u"db.example.com"_s << 8443 << true << false << true;
}

void tst_ConflictFinder::clusters()
{
    QFETCH(QString, hostname);
    QFETCH(int, port);
    QFETCH(bool, websocket);
    QFETCH(bool, websocketSSL);
    QFETCH(bool, conflict);

    ClusterDefinition cluster;
    cluster.id = u"a1b2c3"_s;
    cluster.name = u"Local"_s;
    cluster.hostname = hostname;
    cluster.port = port;
    cluster.websocket = websocket;
    cluster.websocketSSL = websocketSSL;

    ConflictInputs inputs;
    inputs.status = statusWith({ { u"https_proxy_port"_s, u"8443"_s } });
    inputs.status.state = ProxyStatus::State::Running;
    inputs.status.protocol = ProxyProtocol::Tls;
    inputs.status.port = 8443;
    inputs.clusters = QList<ClusterDefinition> { cluster };
    inputs.studioStatePath = u"/var/lib/singlestoredb-studio/studio.hcl"_s;
    inputs.localNames = { u"localhost"_s, u"127.0.0.1"_s };

    const QList<Conflict> found = ofKind(findConflicts(inputs), Conflict::Kind::ClusterMismatch);
    QCOMPARE(found.size(), conflict ? 1 : 0);
    if (!conflict)
        return;
    QVERIFY2(found.constFirst().message.contains(u"\"Local\" (studio.hcl)"_s),
            qPrintable(found.constFirst().message));
    QVERIFY2(found.constFirst().message.contains(u"wss on port 8443"_s),
            qPrintable(found.constFirst().message));
    QCOMPARE(found.constFirst().fix.action, ConflictFix::Action::UseThisProxy);
    QCOMPARE(found.constFirst().fix.clusterId, u"a1b2c3"_s);
}

void tst_ConflictFinder::certificateNames_data()
{
    QTest::addColumn<QString>("hostname");
    QTest::addColumn<bool>("conflict");

    QTest::newRow("named") << u"localhost"_s << false;
    QTest::newRow("an address in it") << u"127.0.0.1"_s << false;
    QTest::newRow("not named") << u"studio.internal"_s << true;
}

void tst_ConflictFinder::certificateNames()
{
    QFETCH(QString, hostname);
    QFETCH(bool, conflict);

    ClusterDefinition cluster;
    cluster.id = u"c1"_s;
    cluster.name = u"Local"_s;
    cluster.hostname = hostname;
    cluster.port = 8443;
    cluster.websocket = true;
    cluster.websocketSSL = true;

    ConflictInputs inputs;
    inputs.status = statusWith({ { u"https_proxy_port"_s, u"8443"_s },
            { u"ssl_cert"_s, m_cert },
            { u"ssl_key"_s, m_key } });
    inputs.status.state = ProxyStatus::State::Running;
    inputs.status.protocol = ProxyProtocol::Tls;
    inputs.status.port = 8443;
    inputs.clusters = QList<ClusterDefinition> { cluster };
    inputs.localNames = { u"localhost"_s, u"127.0.0.1"_s, u"studio.internal"_s };

    const QList<Conflict> all = findConflicts(inputs);
    QVERIFY(ofKind(all, Conflict::Kind::ClusterMismatch).isEmpty());
    const QList<Conflict> found = ofKind(all, Conflict::Kind::CertificateName);
    QCOMPARE(found.size(), conflict ? 1 : 0);
    if (!conflict)
        return;
    QVERIFY2(found.constFirst().message.contains(u"does not name studio.internal"_s),
            qPrintable(found.constFirst().message));
    QCOMPARE(found.constFirst().fix.action, ConflictFix::Action::OpenCertificates);

    // Plain WebSocket: no certificate to check.
    inputs.status.protocol = ProxyProtocol::Plain;
    cluster.websocketSSL = false;
    inputs.clusters = QList<ClusterDefinition> { cluster };
    QVERIFY(ofKind(findConflicts(inputs), Conflict::Kind::CertificateName).isEmpty());
}

QTEST_GUILESS_MAIN(tst_ConflictFinder)
#include "tst_conflictfinder.moc"

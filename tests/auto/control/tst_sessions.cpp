#include "control/controlclient.h"
#include "control/controllerthread.h"
#include "control/proxycontroller.h"
#include "testsupport/proxyfixtures.h"
#include "testsupport/testsupport.h"

#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// The open sessions an admin sees and closes: the client's address and Origin, the engine's
// connection id from its greeting, the bytes each way; closing one sends the client Close
// 1000 and ends the engine connection. Both controllers: a headless proxy through its control
// socket, and the proxy in this process on a thread of its own (as the desktop app runs it).
class tst_Sessions : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void headless();
    void inProcess();

private:
    void checkListAndClose(const std::function<Result<QList<SessionInfo>>()> &list,
            const std::function<Result<void>(quint64)> &close);

    QTemporaryDir m_dir;
    TestSupport::GreetingEngine m_engine { 4242 };
    QString m_configPath;
    quint16 m_port = 0;
};

void tst_Sessions::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(m_engine.listen(m_dir.filePath(u"engine.sock"_s)));
    m_port = TestSupport::freePort();
    m_configPath = m_dir.filePath(u"memsql.cnf"_s);
    TestSupport::writeFile(m_configPath,
            "http_proxy_port = " + QByteArray::number(m_port)
                    + "\nsocket = engine.sock\ntracelogsdir = logs\n");
}

void tst_Sessions::checkListAndClose(const std::function<Result<QList<SessionInfo>>()> &list,
        const std::function<Result<void>(quint64)> &close)
{
    const int engineConnections = m_engine.connections();
    TestSupport::WebSocketClient client;
    const QString opened = client.open(m_port, "https://studio.example.com");
    QVERIFY2(opened.isEmpty(), qPrintable(opened));
    const std::optional<QByteArray> greeting = client.readBinary();
    QVERIFY(greeting);
    QCOMPARE(m_engine.connections(), engineConnections + 1);
    const quint32 expectedId = quint32(4242 + engineConnections);
    QCOMPARE(*greeting, TestSupport::GreetingEngine::greeting(expectedId));

    Result<QList<SessionInfo>> sessions = list();
    QVERIFY2(sessions, qPrintable(sessions ? QString() : sessions.error().message));
    QCOMPARE(sessions->size(), 1);
    const SessionInfo session = sessions->constFirst();
    QCOMPARE(session.clientAddress, u"127.0.0.1:%1"_s.arg(client.socket().localPort()));
    QCOMPARE(session.origin, u"https://studio.example.com"_s);
    QVERIFY(session.engineConnectionId);
    QCOMPARE(*session.engineConnectionId, expectedId);
    QCOMPARE(session.bytesToClient, qint64(greeting->size()));
    QCOMPARE(session.bytesToEngine, qint64(0));
    QVERIFY(session.openedAt.isValid());
    QVERIFY(session.durationMs >= 0 && session.durationMs < 60000);

    const Result<void> closed = close(session.id);
    QVERIFY2(closed, qPrintable(closed ? QString() : closed.error().message));
    QCOMPARE(client.waitForClose(), std::optional<quint16>(1000));
    client.socket().disconnectFromHost();
    QTRY_VERIFY_WITH_TIMEOUT(list().ok() && list()->isEmpty(), 10000);

    // Gone: closing it again says so.
    const Result<void> again = close(session.id);
    QVERIFY(!again);
    QCOMPARE(again.error().code, ErrorCode::InvalidValue);
    QVERIFY2(again.error().message.contains(QString::number(session.id)),
            qPrintable(again.error().message));
}

void tst_Sessions::headless()
{
    TestSupport::HeadlessProxy proxy;
    const QString socketPath = m_dir.filePath(u"control.sock"_s);
    const QString started = proxy.start(m_configPath, socketPath);
    QVERIFY2(started.isEmpty(), qPrintable(started));

    ControlClient controller(socketPath);
    checkListAndClose([&] { return controller.sessions(); },
            [&](quint64 id) { return controller.closeSession(id); });
    proxy.stop();
    const QByteArray log = [&] {
        QFile file(m_dir.filePath(u"logs/websocket_proxy.log"_s));
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }();
    QVERIFY2(log.contains("closed by an administrator"), log.constData());
}

void tst_Sessions::inProcess()
{
    ControllerThread thread;
    const QString configPath = m_configPath;
    bool created = false;
    thread.setController(
            [configPath]() -> Result<std::unique_ptr<Controller>> {
                Result<std::unique_ptr<ProxyController>> controller =
                        ProxyController::fromConfigFile(configPath);
                if (!controller)
                    return controller.error();
                if (const Result<void> started = controller.value()->start(); !started)
                    return started.error();
                return std::unique_ptr<Controller>(std::move(controller.value()));
            },
            this,
            [&](Result<void> result) {
                QVERIFY2(result, qPrintable(result ? QString() : result.error().message));
                created = true;
            });
    QTRY_VERIFY(created);

    // Each call waits for its answer on this thread, as the window's callbacks get them.
    const auto list = [&] {
        std::optional<Result<QList<SessionInfo>>> answer;
        thread.call<QList<SessionInfo>>(
                [](Controller &controller) { return controller.sessions(); },
                this,
                [&](const Result<QList<SessionInfo>> &result) { answer = result; });
        (void)QTest::qWaitFor([&] { return answer.has_value(); }, 5000);
        return answer.value_or(Error { ErrorCode::ControlUnavailable, u"no answer"_s });
    };
    const auto close = [&](quint64 id) {
        std::optional<Result<void>> answer;
        thread.call<void>([id](Controller &controller) { return controller.closeSession(id); },
                this,
                [&](const Result<void> &result) { answer = result; });
        (void)QTest::qWaitFor([&] { return answer.has_value(); }, 5000);
        return answer.value_or(Error { ErrorCode::ControlUnavailable, u"no answer"_s });
    };
    checkListAndClose(list, close);
}

QTEST_GUILESS_MAIN(tst_Sessions)
#include "tst_sessions.moc"

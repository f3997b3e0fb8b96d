#include "proxyconnection.h"
#include "proxypage.h"
#include "sessionsmodel.h"
#include "testsupport/proxyfixtures.h"
#include "testsupport/testsupport.h"

#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QTableWidget>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// The Proxy page on a real headless proxy (a child process, managed through its control
// socket) and on the built-in one: state and variables, the sessions table with the engine's
// connection id, closing a session, and Start, Stop and Restart with their errors.
class tst_ProxyPage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void showsStateAndVariables();
    void sessionsAndClose();
    void failedRestartKeepsServing();
    void builtInStartAndStop();

private:
    template <typename T> T *child(QWidget &parent, const QString &name)
    {
        T *found = parent.findChild<T *>(name);
        if (!found)
            qFatal("no %s", qPrintable(name));
        return found;
    }

    QTemporaryDir m_dir;
    TestSupport::GreetingEngine m_engine { 7000 };
    TestSupport::HeadlessProxy m_headless;
    QString m_socket;
    quint16 m_port = 0;
    std::unique_ptr<ProxyConnection> m_connection;
    std::unique_ptr<ProxyPage> m_page;
};

void tst_ProxyPage::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(m_engine.listen(m_dir.filePath(u"engine.sock"_s)));
    m_port = TestSupport::freePort();
    TestSupport::writeFile(m_dir.filePath(u"memsql.cnf"_s),
            "http_proxy_port = " + QByteArray::number(m_port)
                    + "\nsocket = engine.sock\ntracelogsdir = logs\n");
    m_socket = m_dir.filePath(u"control.sock"_s);
    const QString started = m_headless.start(m_dir.filePath(u"memsql.cnf"_s), m_socket);
    QVERIFY2(started.isEmpty(), qPrintable(started));

    m_connection = std::make_unique<ProxyConnection>();
    m_page = std::make_unique<ProxyPage>(m_connection.get());
    m_page->resize(1000, 800);
    m_page->show();
    m_connection->useHeadless(m_socket);
}

void tst_ProxyPage::showsStateAndVariables()
{
    auto *state = child<QLabel>(*m_page, u"stateLabel"_s);
    QTRY_COMPARE(state->text(), u"Running"_s);
    QVERIFY2(child<QLabel>(*m_page, u"servingLabel"_s)
                     ->text()
                     .contains(u"ws:// on port %1"_s.arg(m_port)),
            qPrintable(child<QLabel>(*m_page, u"servingLabel"_s)->text()));
    QVERIFY2(child<QLabel>(*m_page, u"reasonLabel"_s)
                     ->text()
                     .contains(u"pid %1"_s.arg(m_headless.pid())),
            qPrintable(child<QLabel>(*m_page, u"reasonLabel"_s)->text()));

    auto *variables = child<QTableWidget>(*m_page, u"variablesView"_s);
    QVERIFY(variables->rowCount() > 4);
    bool found = false;
    for (int row = 0; row < variables->rowCount(); ++row) {
        if (variables->item(row, 0)->text() == u"http_proxy_port") {
            QCOMPARE(variables->item(row, 1)->text(), QString::number(m_port));
            QCOMPARE(variables->item(row, 2)->text(), u"memsql.cnf line 1"_s);
            found = true;
        }
    }
    QVERIFY(found);
    // A headless proxy is its service manager's to stop.
    QVERIFY(!child<QPushButton>(*m_page, u"stopButton"_s)->isEnabled());
    QVERIFY(!child<QPushButton>(*m_page, u"startButton"_s)->isEnabled());
    QVERIFY(child<QPushButton>(*m_page, u"restartButton"_s)->isEnabled());
}

void tst_ProxyPage::sessionsAndClose()
{
    SessionsModel *model = m_page->sessionsModel();
    QTRY_COMPARE(model->rowCount(), 0);
    TestSupport::WebSocketClient client;
    const QString opened = client.open(m_port, "https://studio.example.com");
    QVERIFY2(opened.isEmpty(), qPrintable(opened));
    QVERIFY(client.readBinary());

    QTRY_COMPARE(model->rowCount(), 1);
    const auto cell = [&](int column) {
        return model->index(0, column).data().toString();
    };
    QCOMPARE(cell(SessionsModel::Client), u"127.0.0.1:%1"_s.arg(client.socket().localPort()));
    QCOMPARE(cell(SessionsModel::Origin), u"https://studio.example.com"_s);
    QCOMPARE(cell(SessionsModel::EngineConnection), u"7000"_s);
    QCOMPARE(cell(SessionsModel::ToClient),
            u"%1 B"_s.arg(TestSupport::GreetingEngine::greeting(7000).size()));
    QCOMPARE(cell(SessionsModel::ToEngine), u"0 B"_s);

    auto *close = child<QPushButton>(*m_page, u"closeSessionButton"_s);
    QVERIFY(!close->isEnabled()); // nothing selected
    child<QTableView>(*m_page, u"sessionsView"_s)->selectRow(0);
    QVERIFY(close->isEnabled());
    QTest::mouseClick(close, Qt::LeftButton);

    QCOMPARE(client.waitForClose(), std::optional<quint16>(1000));
    client.socket().disconnectFromHost();
    QTRY_COMPARE(model->rowCount(), 0);
    QTRY_VERIFY(child<QLabel>(*m_page, u"messageLabel"_s)->text().contains(u"closed"_s));
}

void tst_ProxyPage::failedRestartKeepsServing()
{
    QTcpServer busy;
    QVERIFY(busy.listen(QHostAddress::Any, 0));
    bool set = false;
    QObject context;
    connect(m_connection.get(),
            &ProxyConnection::commandFinished,
            &context,
            [&](const QString &command, bool ok) { set = command == u"set" && ok; });
    m_connection->setVariables(
            { { u"http_proxy_port"_s, QString::number(busy.serverPort()) } }, false);
    QTRY_VERIFY(set);

    auto *message = child<QLabel>(*m_page, u"messageLabel"_s);
    QTest::mouseClick(child<QPushButton>(*m_page, u"restartButton"_s), Qt::LeftButton);
    QTRY_VERIFY(message->text().startsWith(u"Error: "_s));
    QVERIFY2(message->text().contains(QString::number(busy.serverPort())),
            qPrintable(message->text()));
    QVERIFY2(message->text().contains(u"still serving ws on port %1"_s.arg(m_port)),
            qPrintable(message->text()));

    // Still serving, on the old port, and the page says so.
    QTest::qWait(ProxyConnection::PollIntervalMs + 200);
    QCOMPARE(child<QLabel>(*m_page, u"stateLabel"_s)->text(), u"Running"_s);
    QVERIFY(child<QLabel>(*m_page, u"servingLabel"_s)->text().contains(u"port %1"_s.arg(m_port)));
    TestSupport::WebSocketClient client;
    QCOMPARE(client.open(m_port), QString());

    set = false;
    m_connection->setVariables({ { u"http_proxy_port"_s, QString::number(m_port) } }, false);
    QTRY_VERIFY(set);
}

void tst_ProxyPage::builtInStartAndStop()
{
    const quint16 port = TestSupport::freePort();
    TestSupport::writeFile(m_dir.filePath(u"builtin/memsql.cnf"_s),
            "http_proxy_port = " + QByteArray::number(port)
                    + "\nsocket = ../engine.sock\ntracelogsdir = logs\n");
    ProxyConnection connection;
    ProxyPage page(&connection);
    page.show();
    connection.useBuiltIn(m_dir.filePath(u"builtin/memsql.cnf"_s), false);

    auto *state = child<QLabel>(page, u"stateLabel"_s);
    auto *start = child<QPushButton>(page, u"startButton"_s);
    auto *stop = child<QPushButton>(page, u"stopButton"_s);
    QTRY_COMPARE(state->text(), u"Stopped"_s);
    QVERIFY(start->isEnabled());
    QVERIFY(!stop->isEnabled());
    TestSupport::WebSocketClient refused;
    QVERIFY(!refused.open(port).isEmpty());

    QTest::mouseClick(start, Qt::LeftButton);
    QTRY_COMPARE(state->text(), u"Running"_s);
    QVERIFY(stop->isEnabled());
    TestSupport::WebSocketClient client;
    QCOMPARE(client.open(port), QString());
    QVERIFY(client.readBinary());
    QTRY_COMPARE(page.sessionsModel()->rowCount(), 1);

    // Stop closes the sessions too (Close 1001) and nothing listens any more.
    QTest::mouseClick(stop, Qt::LeftButton);
    QCOMPARE(client.waitForClose(), std::optional<quint16>(1001));
    QTRY_COMPARE(state->text(), u"Stopped"_s);
    TestSupport::WebSocketClient late;
    QVERIFY(!late.open(port).isEmpty());
}

QTEST_MAIN(tst_ProxyPage)
#include "tst_proxypage.moc"

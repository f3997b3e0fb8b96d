#include "conflictbanner.h"
#include "mainwindow.h"
#include "proxyconnection.h"
#include "testsupport/proxyfixtures.h"
#include "testsupport/testsupport.h"

#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// The window around the pages: the conflict banner and its one-click fixes on real config
// and Studio state files, and the offer to manage a headless proxy found on this host.
class tst_MainWindow : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void bothPortsFix();
    void clusterFix();
    void certificateFixOpensItsPage();
    void offersToManageHeadless();

private:
    static QByteArray read(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    static bool hasConflict(MainWindow &window, Conflict::Kind kind)
    {
        for (const Conflict &conflict : window.banner()->conflicts()) {
            if (conflict.kind == kind)
                return true;
        }
        return false;
    }

    QTemporaryDir m_home;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_certs;
};

void tst_MainWindow::initTestCase()
{
    // Settings and control sockets of this test only.
    QVERIFY(m_home.isValid());
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_home.filePath(u"config"_s)));
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_home.filePath(u"run"_s)));
    QVERIFY(QDir().mkpath(m_home.filePath(u"run"_s)));
    QFile::setPermissions(
            m_home.filePath(u"run"_s), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    const QString failed = TestSupport::runOpenssl(m_home.path(),
            u"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 "
            "-subj /CN=localhost -addext subjectAltName=DNS:localhost "
            "-keyout server.key -out server.pem"_s);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    m_certs = m_home.path();
}

void tst_MainWindow::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void tst_MainWindow::bothPortsFix()
{
    const quint16 https = TestSupport::freePort();
    const QString config = m_dir->filePath(u"memsql.cnf"_s);
    TestSupport::writeFile(config,
            "https_proxy_port = " + QByteArray::number(https)
                    + "\nhttp_proxy_port = 8080\nssl_cert = " + m_certs.toUtf8()
                    + "/server.pem\nssl_key = " + m_certs.toUtf8()
                    + "/server.key\ntracelogsdir = logs\n");
    MainWindowOptions options;
    options.configPath = config;
    options.lookForHeadless = false;
    MainWindow window(options);
    window.show();

    QTRY_VERIFY(hasConflict(window, Conflict::Kind::BothPorts));
    QVERIFY(window.banner()->isVisible());
    // The banner stays on every page.
    window.showPage(MainWindow::Log);
    QVERIFY(window.banner()->isVisible());
    QCOMPARE(window.connection()->status().state, ProxyStatus::State::Stopped);

    auto *fix = window.banner()->findChild<QPushButton *>(u"fix:both-ports"_s);
    QVERIFY(fix);
    QCOMPARE(fix->text(), u"Set http_proxy_port to 0"_s);
    QTest::mouseClick(fix, Qt::LeftButton);
    QTRY_VERIFY(read(config).contains("http_proxy_port = 0\n"));
    QTRY_VERIFY(!hasConflict(window, Conflict::Kind::BothPorts));
    QVERIFY(read(config).contains(QByteArray("https_proxy_port = " + QByteArray::number(https))));
    QVERIFY(QFile::exists(config + u".bak"_s));
}

void tst_MainWindow::clusterFix()
{
    const quint16 port = TestSupport::freePort();
    const QString config = m_dir->filePath(u"memsql.cnf"_s);
    TestSupport::writeFile(config,
            "http_proxy_port = " + QByteArray::number(port)
                    + "\nsocket = engine.sock\ntracelogsdir = logs\n");
    const QString state = m_dir->filePath(u"studio.hcl"_s);
    const QByteArray before = "version = 1\n\n# the engine on this machine\ncluster \"c0ffee\" {\n"
                              "  name = \"Local\"\n  hostname = \"localhost\"\n  port = 3306\n"
                              "  profile = \"DEVELOPMENT\"\n  websocket = true\n"
                              "  websocketSSL = true\n  colour = \"green\"\n}\n";
    TestSupport::writeFile(state, before);
    MainWindowOptions options;
    options.configPath = config;
    options.studioStatePath = state;
    options.lookForHeadless = false;
    MainWindow window(options);
    window.show();

    QTRY_COMPARE(window.connection()->status().state, ProxyStatus::State::Running);
    QTRY_VERIFY(hasConflict(window, Conflict::Kind::ClusterMismatch));
    auto *fix = window.banner()->findChild<QPushButton *>(u"fix:cluster-mismatch"_s);
    QVERIFY(fix);
    QCOMPARE(fix->text(), u"Use this proxy for \"Local\""_s);
    QTest::mouseClick(fix, Qt::LeftButton);

    QByteArray expected = before;
    expected.replace("port = 3306", QByteArray("port = " + QByteArray::number(port)));
    expected.replace("websocketSSL = true", "websocketSSL = false");
    QTRY_COMPARE(read(state), expected);
    QCOMPARE(read(state + u".bak"_s), before);
    QTRY_VERIFY(!hasConflict(window, Conflict::Kind::ClusterMismatch));
    QTRY_VERIFY(window.findChild<QLabel *>(u"noticeLabel"_s)
                        ->text()
                        .contains(u"systemctl restart singlestoredb-studio"_s));
}

void tst_MainWindow::certificateFixOpensItsPage()
{
    const QString config = m_dir->filePath(u"memsql.cnf"_s);
    TestSupport::writeFile(config,
            "https_proxy_port = " + QByteArray::number(TestSupport::freePort())
                    + "\ntracelogsdir = logs\n");
    MainWindowOptions options;
    options.configPath = config;
    options.lookForHeadless = false;
    MainWindow window(options);
    window.show();
    QTRY_VERIFY(hasConflict(window, Conflict::Kind::HttpsWithoutSsl));
    auto *fix = window.banner()->findChild<QPushButton *>(u"fix:https-without-ssl"_s);
    QVERIFY(fix);
    QTest::mouseClick(fix, Qt::LeftButton);
    QCOMPARE(window.findChild<QListWidget *>(u"pageList"_s)->currentRow(),
            int(MainWindow::Certificates));
}

void tst_MainWindow::offersToManageHeadless()
{
    TestSupport::GreetingEngine engine;
    QVERIFY(engine.listen(m_dir->filePath(u"engine.sock"_s)));
    const quint16 port = TestSupport::freePort();
    const QString config = m_dir->filePath(u"memsql.cnf"_s);
    TestSupport::writeFile(config,
            "http_proxy_port = " + QByteArray::number(port)
                    + "\nsocket = engine.sock\ntracelogsdir = logs\n");
    TestSupport::HeadlessProxy headless;
    const QString socket = m_home.filePath(u"run/studio-proxy/studio-proxy-test.sock"_s);
    const QString started = headless.start(config, socket);
    QVERIFY2(started.isEmpty(), qPrintable(started));

    MainWindowOptions options;
    options.configPath = config;
    MainWindow window(options);
    window.show();
    auto *offer = window.findChild<QFrame *>(u"headlessOffer"_s);
    QTRY_VERIFY(offer->isVisible());
    QVERIFY2(offer->findChild<QLabel *>()->text().contains(u"pid %1"_s.arg(headless.pid())),
            qPrintable(offer->findChild<QLabel *>()->text()));
    // Nothing of its own started meanwhile: the port is the headless proxy's.
    QCOMPARE(window.connection()->mode(), ProxyConnection::Mode::None);

    QTest::mouseClick(window.findChild<QPushButton *>(u"manageHeadlessButton"_s), Qt::LeftButton);
    QTRY_VERIFY(window.connection()->hasStatus());
    QCOMPARE(window.connection()->mode(), ProxyConnection::Mode::Headless);
    QCOMPARE(window.connection()->status().pid, headless.pid());
    QCOMPARE(window.connection()->status().port, port);
    QVERIFY(!offer->isVisible());
    QVERIFY(window.findChild<QLabel *>(u"statusText"_s)
                    ->text()
                    .contains(u"pid %1"_s.arg(headless.pid())));
}

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"

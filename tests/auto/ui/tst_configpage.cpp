#include "configpage.h"
#include "proxyconnection.h"
#include "testsupport/proxyfixtures.h"
#include "testsupport/testsupport.h"

#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// The Configuration page on real config files: values as the file has them, validation as
// they are typed, Save changing only the lines edited (comments and unknown options kept, a
// backup of the whole previous file), and applying the saved values to a real headless proxy.
class tst_ConfigPage : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void showsTheFile();
    void validatesAsTyped_data();
    void validatesAsTyped();
    void saveChangesOnlyEditedLines();
    void applyRestartsTheProxy();

private:
    QLineEdit *edit(const QString &key) { return m_page->findChild<QLineEdit *>(key); }

    QLabel *problem(const QString &key) { return m_page->findChild<QLabel *>(key + u":problem"_s); }

    QPushButton *button(const QString &name) { return m_page->findChild<QPushButton *>(name); }

    static QByteArray read(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_config;
    QByteArray m_original;
    std::unique_ptr<ProxyConnection> m_connection;
    std::unique_ptr<ConfigPage> m_page;
};

void tst_ConfigPage::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_config = m_dir->filePath(u"memsql.cnf"_s);
    m_original = "# SingleStore node config, kept by hand\n"
                 "[server]\n"
                 "max_connections = 100000   # the engine's own\n"
                 "https_proxy_port = 8443\n"
                 "ssl_cert = certs/server.pem\n"
                 "ssl_key = certs/server.key\n"
                 "\n"
                 "# idle sessions are cut after five minutes\n"
                 "proxy_idle_timeout = 300\n"
                 "unknown_option_of_a_newer_engine = yes\n";
    TestSupport::writeFile(m_config, m_original);
    m_connection = std::make_unique<ProxyConnection>();
    m_page = std::make_unique<ConfigPage>(m_connection.get());
    m_page->show();
    QSignalSpy loaded(m_page.get(), &ConfigPage::loaded);
    m_page->load(m_config);
    QVERIFY(loaded.wait(10000));
}

void tst_ConfigPage::showsTheFile()
{
    QCOMPARE(edit(u"https_proxy_port"_s)->text(), u"8443"_s);
    QCOMPARE(edit(u"http_proxy_port"_s)->text(), QString());
    QCOMPARE(edit(u"ssl_cert"_s)->text(), u"certs/server.pem"_s);
    QCOMPARE(edit(u"proxy_idle_timeout"_s)->text(), u"300"_s);
    QCOMPARE(edit(u"proxy_max_sessions"_s)->text(), QString());
    QCOMPARE(edit(u"proxy_max_sessions"_s)->placeholderText(), u"default: 10000"_s);
    QVERIFY(m_page->problems().isEmpty());
    QVERIFY(!button(u"saveButton"_s)->isEnabled()); // nothing changed
}

void tst_ConfigPage::validatesAsTyped_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("problemOn");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("not a number") << u"proxy_max_sessions"_s << u"lots"_s << u"proxy_max_sessions"_s
                                  << u"whole number"_s;
    QTest::newRow("too large a port")
            << u"https_proxy_port"_s << u"70000"_s << u"https_proxy_port"_s << u"70000"_s;
    QTest::newRow("below the minimum")
            << u"proxy_max_frame_size"_s << u"10"_s << u"proxy_max_frame_size"_s << u"1024"_s;
    QTest::newRow("both ports") << u"http_proxy_port"_s << u"8080"_s << u"http_proxy_port"_s
                                << u"only one"_s;
    QTest::newRow("HTTPS without a certificate")
            << u"ssl_cert"_s << QString() << u"ssl_cert"_s << u"requires ssl_cert"_s;
    QTest::newRow("a valid value") << u"proxy_max_sessions"_s << u"500"_s << QString() << QString();
}

void tst_ConfigPage::validatesAsTyped()
{
    QFETCH(QString, key);
    QFETCH(QString, value);
    QFETCH(QString, problemOn);
    QFETCH(QString, mentions);

    edit(key)->clear();
    QTest::keyClicks(edit(key), value);
    if (problemOn.isEmpty()) {
        QVERIFY2(m_page->problems().isEmpty(), qPrintable(m_page->problems().join(u'\n')));
        QVERIFY(button(u"saveButton"_s)->isEnabled());
        return;
    }
    QVERIFY(problem(problemOn)->isVisible());
    QVERIFY2(problem(problemOn)->text().contains(mentions), qPrintable(problem(problemOn)->text()));
    QVERIFY(!button(u"saveButton"_s)->isEnabled());
    QVERIFY(m_page->findChild<QLabel *>(u"summaryLabel"_s)->text().contains(u"to correct"_s));
}

void tst_ConfigPage::saveChangesOnlyEditedLines()
{
    edit(u"proxy_idle_timeout"_s)->setText(u"600"_s);
    edit(u"proxy_max_sessions"_s)->setText(u"500"_s);
    edit(u"ssl_cert"_s)->setText(u"certs/chain.pem"_s);
    QCOMPARE(m_page->changes().size(), 3);

    QSignalSpy saved(m_page.get(), &ConfigPage::saved);
    QTest::mouseClick(button(u"saveButton"_s), Qt::LeftButton);
    QVERIFY(saved.wait(10000));
    QVERIFY2(saved.at(0).at(0).toBool(), qPrintable(saved.at(0).at(1).toString()));

    // Each edited line changed in place, the new option in the engine's group, the rest as it
    // was, byte for byte; one backup of the file as it was before the save.
    QByteArray expected = m_original;
    expected.replace("proxy_idle_timeout = 300", "proxy_idle_timeout = 600");
    expected.replace("ssl_cert = certs/server.pem", "ssl_cert = certs/chain.pem");
    expected += "proxy_max_sessions = 500\n";
    QCOMPARE(read(m_config), expected);
    QCOMPARE(read(m_config + u".bak"_s), m_original);

    // The page shows the file as saved, with nothing left to save.
    QTRY_VERIFY(m_page->changes().isEmpty());
    QCOMPARE(edit(u"proxy_max_sessions"_s)->text(), u"500"_s);

    // Emptying a field removes its line.
    edit(u"proxy_idle_timeout"_s)->clear();
    saved.clear();
    QTest::mouseClick(button(u"saveButton"_s), Qt::LeftButton);
    QVERIFY(saved.wait(10000));
    QVERIFY(!read(m_config).contains("proxy_idle_timeout"));
    QVERIFY(read(m_config).contains("# idle sessions are cut after five minutes\n"));
    QVERIFY(read(m_config).contains("unknown_option_of_a_newer_engine = yes\n"));
}

void tst_ConfigPage::applyRestartsTheProxy()
{
    TestSupport::GreetingEngine engine;
    QVERIFY(engine.listen(m_dir->filePath(u"engine.sock"_s)));
    const quint16 before = TestSupport::freePort();
    TestSupport::writeFile(m_config,
            "[server]\nhttp_proxy_port = " + QByteArray::number(before)
                    + "\nsocket = engine.sock\ntracelogsdir = logs\n");
    TestSupport::HeadlessProxy headless;
    const QString started = headless.start(m_config, m_dir->filePath(u"control.sock"_s));
    QVERIFY2(started.isEmpty(), qPrintable(started));
    m_connection->useHeadless(m_dir->filePath(u"control.sock"_s));
    QTRY_VERIFY(m_connection->hasStatus());

    QSignalSpy loaded(m_page.get(), &ConfigPage::loaded);
    m_page->load(m_config);
    QVERIFY(loaded.wait(10000));
    quint16 after = TestSupport::freePort();
    while (after == before)
        after = TestSupport::freePort();
    edit(u"http_proxy_port"_s)->setText(QString::number(after));
    QSignalSpy saved(m_page.get(), &ConfigPage::saved);
    QTest::mouseClick(button(u"saveButton"_s), Qt::LeftButton);
    QVERIFY(saved.wait(10000));
    QVERIFY(read(m_config).contains(QByteArray("http_proxy_port = " + QByteArray::number(after))));

    // Saved is not applied: the proxy still serves the old port until the admin says so.
    QCOMPARE(m_connection->status().port, before);
    QPushButton *apply = button(u"applyButton"_s);
    QVERIFY(apply->isVisible());
    QTRY_VERIFY(apply->isEnabled()); // the page reads the saved file back first
    QTest::mouseClick(apply, Qt::LeftButton);
    QTRY_VERIFY2(m_connection->status().port == after,
            qPrintable(m_page->findChild<QLabel *>(u"resultLabel"_s)->text()));
    QTRY_VERIFY(!apply->isVisible());
    QVERIFY2(m_page->findChild<QLabel *>(u"resultLabel"_s)->text().startsWith(u"Applied"_s),
            qPrintable(m_page->findChild<QLabel *>(u"resultLabel"_s)->text()));
    TestSupport::WebSocketClient client;
    QCOMPARE(client.open(after), QString());
}

QTEST_MAIN(tst_ConfigPage)
#include "tst_configpage.moc"

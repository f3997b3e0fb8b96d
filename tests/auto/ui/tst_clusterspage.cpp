#include "clusterspage.h"
#include "pagetestsupport.h"
#include "testsupport/testsupport.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;
using PageTestSupport::contentOf;
using PageTestSupport::keepScreenshot;

// The Clusters page as an admin uses it: fields typed, buttons clicked, and the state file's
// bytes read back from disk afterwards.
class tst_ClustersPage : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void editWritesOnlyTheChangedValue();
    void addAppendsABlock();
    void removeAsksThenRemovesTheBlock();
    void useThisProxy();
    void useProxyFor();
    void invalidEditIsRefused();
    void malformedFileIsLeftUntouched();
    void fileBrokenBeforeSaveIsLeftUntouched();
    void changedByAnotherProgram();
    void missingFileIsCreated();
    void restartStudio_data();
    void restartStudio();

private:
    QString statePath() const { return m_dir->filePath(u"studio.hcl"_s); }

    std::unique_ptr<QTemporaryDir> m_dir;
};

namespace {

// As Studio writes it, then edited by hand: comments, an unknown key and an unknown block.
const QByteArray HandEdited = "# Studio's clusters\n"
                              "version = 1\n"
                              "\n"
                              "telemetry { enabled = false }\n"
                              "\n"
                              "# The production cluster\n"
                              "cluster \"prod-1\" {\n"
                              "  name = \"Production\"\n"
                              "  description = \"Master aggregator\"\n"
                              "  hostname    = \"db1.example.com\"   # behind the balancer\n"
                              "  port = 3306\n"
                              "  profile = \"PRODUCTION\"\n"
                              "  kerberosAutologin = false\n"
                              "}\n"
                              "\n"
                              "cluster \"dev\" {\n"
                              "  name = \"Laptop\"\n"
                              "  hostname = \"localhost\"\n"
                              "  port = 8443\n"
                              "  websocket = true\n"
                              "  websocketSSL = true\n"
                              "}\n";

template <typename T> T *child(const QWidget &page, const char *name)
{
    T *found = page.findChild<T *>(QLatin1StringView(name));
    if (!found)
        qFatal("the page has no %s named %s", T::staticMetaObject.className(), name);
    return found;
}

// Clicks the row of the table the way a user does.
void clickRow(QTableWidget *table, int row)
{
    const QRect cell = table->visualItemRect(table->item(row, 0));
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
}

int rowOf(QTableWidget *table, const QString &name)
{
    for (int row = 0; row < table->rowCount(); ++row) {
        if (table->item(row, 0)->text() == name)
            return row;
    }
    return -1;
}

void retype(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Backspace);
    QTest::keyClicks(edit, text);
}

void click(QPushButton *button)
{
    QVERIFY2(button->isEnabled(), qPrintable(button->objectName() + u" is disabled"_s));
    QTest::mouseClick(button, Qt::LeftButton);
}

} // namespace

void tst_ClustersPage::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    TestSupport::writeFile(statePath(), HandEdited);
}

void tst_ClustersPage::editWritesOnlyTheChangedValue()
{
    ClustersPage page;
    page.show();
    QSignalSpy changed(&page, &ClustersPage::stateFileChanged);
    QVERIFY(page.openStateFile(statePath()));

    auto *table = child<QTableWidget>(page, "clusterTable");
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->item(0, 0)->text(), u"Production"_s);
    QCOMPARE(table->item(0, 1)->text(), u"db1.example.com"_s);
    QCOMPARE(table->item(1, 4)->text(), u"WebSocket, wss://"_s);
    QVERIFY(child<QWidget>(page, "restartPanel")->isHidden());

    clickRow(table, 0);
    QCOMPARE(child<QLabel>(page, "idLabel")->text(), u"prod-1"_s);
    QCOMPARE(child<QLineEdit>(page, "hostnameEdit")->text(), u"db1.example.com"_s);
    auto *port = child<QSpinBox>(page, "portSpin");
    port->selectAll();
    QTest::keyClicks(port, u"3307"_s);
    retype(child<QLineEdit>(page, "descriptionEdit"), u"MA \"eu-west\""_s);

    // Unsaved edits lock the list, so another click cannot drop them.
    QVERIFY(!table->isEnabled());
    QCOMPARE(contentOf(statePath()), HandEdited);
    click(child<QPushButton>(page, "saveButton"));

    QByteArray expected = HandEdited;
    expected.replace("port = 3306", "port = 3307")
            .replace("\"Master aggregator\"", "\"MA \\\"eu-west\\\"\"");
    QCOMPARE(contentOf(statePath()), expected);
    QCOMPARE(contentOf(statePath() + u".bak"_s), HandEdited);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(changed.at(0).at(0).toString(), statePath());
    QVERIFY(table->isEnabled());
    QVERIFY(!child<QPushButton>(page, "saveButton")->isEnabled());
    QCOMPARE(table->item(0, 2)->text(), u"3307"_s);
    QVERIFY(child<QLabel>(page, "statusLabel")->text().contains(u".bak"_s));
    QVERIFY(child<QWidget>(page, "restartPanel")->isVisible());
    QCOMPARE(child<QLabel>(page, "restartCommand")->text(),
            u"systemctl restart singlestoredb-studio"_s);
    page.setProxy(true, 9443);
    clickRow(table, 1);
    keepScreenshot(page, u"clusters"_s);
}

void tst_ClustersPage::addAppendsABlock()
{
    ClustersPage page;
    page.show();
    QVERIFY(page.openStateFile(statePath()));

    // Added, then reverted: nothing is written, the list is back.
    click(child<QPushButton>(page, "addButton"));
    QVERIFY(!child<QTableWidget>(page, "clusterTable")->isEnabled());
    click(child<QPushButton>(page, "revertButton"));
    QCOMPARE(child<QLabel>(page, "idLabel")->text(), u"prod-1"_s);
    QVERIFY(child<QTableWidget>(page, "clusterTable")->isEnabled());
    QCOMPARE(contentOf(statePath()), HandEdited);

    click(child<QPushButton>(page, "addButton"));
    const QString id = child<QLabel>(page, "idLabel")->text();
    QVERIFY2(QRegularExpression(u"^[0-9a-f]{20}$"_s).match(id).hasMatch(), qPrintable(id));
    retype(child<QLineEdit>(page, "nameEdit"), u"Staging"_s);
    retype(child<QLineEdit>(page, "hostnameEdit"), u"db9.example.com"_s);
    child<QSpinBox>(page, "portSpin")->setValue(9443);
    child<QComboBox>(page, "profileCombo")->setCurrentText(u"STAGING"_s);
    QTest::mouseClick(child<QCheckBox>(page, "websocketCheck"), Qt::LeftButton);
    QVERIFY(child<QCheckBox>(page, "websocketSslCheck")->isEnabled());
    click(child<QPushButton>(page, "saveButton"));

    const QByteArray expected = HandEdited + "\ncluster \"" + id.toLatin1()
            + "\" {\n"
              "  name = \"Staging\"\n"
              "  description = \"\"\n"
              "  hostname = \"db9.example.com\"\n"
              "  port = 9443\n"
              "  profile = \"STAGING\"\n"
              "  websocket = true\n"
              "  websocketSSL = false\n"
              "  kerberosAutologin = false\n"
              "}\n";
    QCOMPARE(contentOf(statePath()), expected);
    QCOMPARE(contentOf(statePath() + u".bak"_s), HandEdited);
    auto *table = child<QTableWidget>(page, "clusterTable");
    QCOMPARE(table->rowCount(), 3);
    QCOMPARE(table->selectedItems().value(0)->text(), u"Staging"_s);
    QCOMPARE(page.clusters().size(), 3);
}

void tst_ClustersPage::removeAsksThenRemovesTheBlock()
{
    ClustersPage page;
    page.show();
    QVERIFY(page.openStateFile(statePath()));
    auto *table = child<QTableWidget>(page, "clusterTable");
    clickRow(table, 0);

    // Cancel first: nothing happens.
    click(child<QPushButton>(page, "removeButton"));
    auto *box = page.findChild<QMessageBox *>(u"removeConfirmation"_s);
    QVERIFY(box);
    QVERIFY(box->text().contains(u"Production"_s));
    QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
    QCOMPARE(contentOf(statePath()), HandEdited);
    QVERIFY(!QFile::exists(statePath() + u".bak"_s));

    QTRY_VERIFY(!page.findChild<QMessageBox *>(u"removeConfirmation"_s));
    click(child<QPushButton>(page, "removeButton"));
    box = page.findChild<QMessageBox *>(u"removeConfirmation"_s);
    QVERIFY(box);
    QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);

    // The block goes with the comment above it and one of the blank lines around it.
    QByteArray expected = HandEdited;
    const qsizetype from = expected.indexOf("# The production cluster");
    expected.remove(from, expected.indexOf("cluster \"dev\"") - from);
    QCOMPARE(contentOf(statePath()), expected);
    QCOMPARE(contentOf(statePath() + u".bak"_s), HandEdited);
    QCOMPARE(table->rowCount(), 1);
    QCOMPARE(table->item(0, 0)->text(), u"Laptop"_s);
}

void tst_ClustersPage::useThisProxy()
{
    ClustersPage page;
    page.show();
    QVERIFY(page.openStateFile(statePath()));
    auto *table = child<QTableWidget>(page, "clusterTable");
    auto *useProxy = child<QPushButton>(page, "useProxyButton");
    clickRow(table, 0);
    QVERIFY(!useProxy->isEnabled()); // no proxy known yet

    page.setProxy(true, 9443);
    QVERIFY(child<QLabel>(page, "proxyHint")->text().contains(u"does not use it"_s));
    click(useProxy);
    QByteArray expected = HandEdited;
    expected.replace("port = 3306\n  profile = \"PRODUCTION\"\n  kerberosAutologin = false\n",
            "port = 9443\n  profile = \"PRODUCTION\"\n  kerberosAutologin = false\n"
            "  websocket = true\n  websocketSSL = true\n");
    QCOMPARE(contentOf(statePath()), expected);
    QVERIFY(!useProxy->isEnabled());
    QCOMPARE(table->item(0, 4)->text(), u"WebSocket, wss:// (this proxy)"_s);
    QVERIFY(child<QLabel>(page, "proxyHint")->text().contains(u"wss://db1.example.com:9443"_s));

    // The proxy moves to ws:// on 8080: the cluster follows with one click.
    page.setProxy(false, 8080);
    QCOMPARE(table->item(0, 4)->text(), u"WebSocket, wss://"_s);
    click(useProxy);
    expected.replace("port = 9443", "port = 8080")
            .replace("SSL = true\n}\n\ncluster \"dev\"", "SSL = false\n}\n\ncluster \"dev\"");
    QCOMPARE(contentOf(statePath()), expected);
    QVERIFY(!child<QCheckBox>(page, "websocketSslCheck")->isChecked());
}

void tst_ClustersPage::useProxyFor()
{
    ClustersPage page;
    QVERIFY(page.openStateFile(statePath()));
    QVERIFY(!page.useProxyFor(u"dev"_s)); // no proxy
    QCOMPARE(contentOf(statePath()), HandEdited);

    page.setProxy(false, 8080);
    QVERIFY(!page.useProxyFor(u"nope"_s));
    const Result<void> fixed = page.useProxyFor(u"dev"_s);
    QVERIFY2(fixed, qPrintable(fixed ? QString() : fixed.error().message));
    QCOMPARE(contentOf(statePath()),
            QByteArray(HandEdited)
                    .replace("port = 8443", "port = 8080")
                    .replace("websocketSSL = true", "websocketSSL = false"));
    QVERIFY(page.clusters().at(1).usesProxy(false, 8080));
}

void tst_ClustersPage::invalidEditIsRefused()
{
    ClustersPage page;
    page.show();
    QVERIFY(page.openStateFile(statePath()));
    clickRow(child<QTableWidget>(page, "clusterTable"), 1);
    retype(child<QLineEdit>(page, "hostnameEdit"), QString());
    click(child<QPushButton>(page, "saveButton"));

    QCOMPARE(contentOf(statePath()), HandEdited);
    QVERIFY(!QFile::exists(statePath() + u".bak"_s));
    const QString status = child<QLabel>(page, "statusLabel")->text();
    QVERIFY2(status.contains(u"Nothing was saved"_s) && status.contains(u"hostname is empty"_s),
            qPrintable(status));

    // Revert brings the file's values back.
    click(child<QPushButton>(page, "revertButton"));
    QCOMPARE(child<QLineEdit>(page, "hostnameEdit")->text(), u"localhost"_s);
    QVERIFY(child<QTableWidget>(page, "clusterTable")->isEnabled());
}

void tst_ClustersPage::malformedFileIsLeftUntouched()
{
    const QByteArray broken = "version = 1\ncluster \"a\" {\n  port = \"x\"\n}\n";
    TestSupport::writeFile(statePath(), broken);

    ClustersPage page;
    page.show();
    QVERIFY(!page.openStateFile(statePath()));
    QVERIFY(page.errorString().startsWith(statePath() + u":3:10: "_s));
    auto *banner = child<QLabel>(page, "errorBanner");
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().contains(statePath() + u":3:10: \"port\" must be a whole number"_s),
            qPrintable(banner->text()));
    QCOMPARE(child<QTableWidget>(page, "clusterTable")->rowCount(), 0);
    QVERIFY(!child<QPushButton>(page, "addButton")->isEnabled());
    QVERIFY(!child<QLineEdit>(page, "nameEdit")->isEnabled());
    QVERIFY(page.clusters().isEmpty());
    page.setProxy(true, 9443);
    QVERIFY(!page.useProxyFor(u"a"_s));
    QCOMPARE(contentOf(statePath()), broken);
    QCOMPARE(QDir(m_dir->path()).entryList(QDir::Files | QDir::Hidden),
            QStringList { u"studio.hcl"_s });
    keepScreenshot(page, u"clusters-malformed"_s);

    // Fixed in an editor, then Reload.
    TestSupport::writeFile(statePath(), HandEdited);
    click(child<QPushButton>(page, "reloadButton"));
    QVERIFY(banner->isHidden());
    QCOMPARE(child<QTableWidget>(page, "clusterTable")->rowCount(), 2);
}

void tst_ClustersPage::fileBrokenBeforeSaveIsLeftUntouched()
{
    ClustersPage page;
    page.show();
    QVERIFY(page.openStateFile(statePath()));
    clickRow(child<QTableWidget>(page, "clusterTable"), 1);
    retype(child<QLineEdit>(page, "nameEdit"), u"Laptop 2"_s);

    const QByteArray broken = HandEdited + "cluster \"x\" {\n  name = \"open\n}\n";
    TestSupport::writeFile(statePath(), broken);
    click(child<QPushButton>(page, "saveButton"));

    QCOMPARE(contentOf(statePath()), broken);
    QVERIFY(!QFile::exists(statePath() + u".bak"_s));
    const QString status = child<QLabel>(page, "statusLabel")->text();
    QVERIFY2(status.contains(u"studio.hcl:24:10: unterminated string"_s), qPrintable(status));
    QVERIFY(child<QLabel>(page, "errorBanner")->isVisible());
}

void tst_ClustersPage::changedByAnotherProgram()
{
    ClustersPage page;
    page.show();
    QSignalSpy changed(&page, &ClustersPage::stateFileChanged);
    QVERIFY(page.openStateFile(statePath()));
    auto *table = child<QTableWidget>(page, "clusterTable");

    // Studio adds a cluster while the page shows the file: the page reads it again.
    const QByteArray withThird =
            HandEdited + "\ncluster \"c\" {\n  name = \"Third\"\n  hostname = \"h3\"\n}\n";
    TestSupport::writeFile(statePath(), withThird);
    QTRY_COMPARE(table->rowCount(), 3);
    QCOMPARE(changed.count(), 1);

    // An edit under way is applied to what is on disk at the time of the save.
    clickRow(table, rowOf(table, u"Laptop"_s));
    retype(child<QLineEdit>(page, "hostnameEdit"), u"laptop.local"_s);
    const QByteArray withFourth = withThird + "cluster \"d\" {\n  hostname = \"h4\"\n}\n";
    TestSupport::writeFile(statePath(), withFourth);
    QTRY_VERIFY(child<QLabel>(page, "statusLabel")->text().contains(u"Another program"_s));
    QCOMPARE(table->rowCount(), 3); // the edit is not thrown away by a reload
    click(child<QPushButton>(page, "saveButton"));

    QCOMPARE(contentOf(statePath()),
            QByteArray(withFourth).replace("\"localhost\"", "\"laptop.local\""));
    QCOMPARE(contentOf(statePath() + u".bak"_s), withFourth);
    QCOMPARE(table->rowCount(), 4);
    QVERIFY(child<QLabel>(page, "statusLabel")->text().contains(u"its changes were kept"_s));
}

void tst_ClustersPage::missingFileIsCreated()
{
    const QString path = m_dir->filePath(u"new/studio.hcl"_s);
    QVERIFY(QDir().mkpath(m_dir->filePath(u"new"_s)));
    ClustersPage page;
    page.show();
    QVERIFY(page.openStateFile(path));
    QVERIFY(child<QLabel>(page, "stateFileLabel")->text().contains(u"does not exist yet"_s));
    click(child<QPushButton>(page, "addButton"));
    const QString id = child<QLabel>(page, "idLabel")->text();
    click(child<QPushButton>(page, "saveButton"));
    QCOMPARE(contentOf(path),
            "version = 1\n\ncluster \"" + id.toLatin1()
                    + "\" {\n  name = \"New cluster\"\n  description = \"\"\n"
                      "  hostname = \"localhost\"\n  port = 3306\n  profile = \"DEVELOPMENT\"\n"
                      "  websocket = false\n  websocketSSL = false\n"
                      "  kerberosAutologin = false\n}\n");
    QVERIFY(!QFile::exists(path + u".bak"_s));
}

void tst_ClustersPage::restartStudio_data()
{
    QTest::addColumn<QByteArray>("loadState");
    QTest::addColumn<int>("restartExit");
    QTest::addColumn<bool>("canRestart");
    QTest::addColumn<QString>("detected");
    QTest::addColumn<QString>("after");

    QTest::newRow("installed") << QByteArray("loaded") << 0 << true
                               << u"singlestoredb-studio.service is installed here"_s
                               << u"Studio restarted"_s;
    QTest::newRow("restart refused")
            << QByteArray("loaded") << 1 << true << u"is installed here"_s
            << u"systemctl restart singlestoredb-studio failed: Failed to restart "
               "singlestoredb-studio.service: Access denied"_s;
    QTest::newRow("not installed")
            << QByteArray("not-found") << 0 << false
            << u"singlestoredb-studio.service is not installed here"_s << QString();
    QTest::newRow("no systemctl") << QByteArray() << 0 << false << u"cannot run"_s << QString();
}

// systemd does not run in the test environment, so a stand-in for systemctl answers as systemd
// would and records what it was asked to do.
void tst_ClustersPage::restartStudio()
{
    QFETCH(QByteArray, loadState);
    QFETCH(int, restartExit);
    QFETCH(bool, canRestart);
    QFETCH(QString, detected);
    QFETCH(QString, after);

    const QString systemctl = m_dir->filePath(u"systemctl"_s);
    const QString calls = m_dir->filePath(u"calls.txt"_s);
    if (!loadState.isEmpty()) {
        TestSupport::writeFile(systemctl,
                "#!/bin/sh\necho \"$*\" >> '" + calls.toLocal8Bit()
                        + "'\n"
                          "case \"$1\" in\n"
                          "  show) echo "
                        + loadState
                        + ";;\n"
                          "  restart) sleep 1; [ "
                        + QByteArray::number(restartExit)
                        + " = 0 ] || { echo 'Failed to restart singlestoredb-studio.service: "
                          "Access denied' >&2; exit 1; };;\n"
                          "esac\n");
        QVERIFY(QFile::setPermissions(systemctl, QFile::ReadOwner | QFile::ExeOwner));
    }

    ClustersPage page;
    page.show();
    page.setSystemctl(systemctl);
    QSignalSpy finished(&page, &ClustersPage::studioRestartFinished);
    QVERIFY(page.openStateFile(statePath()));
    clickRow(child<QTableWidget>(page, "clusterTable"), 0);
    retype(child<QLineEdit>(page, "nameEdit"), u"Prod"_s);
    click(child<QPushButton>(page, "saveButton"));

    auto *status = child<QLabel>(page, "restartStatus");
    auto *restart = child<QPushButton>(page, "restartButton");
    QTRY_VERIFY2(status->text().contains(detected), qPrintable(status->text()));
    QCOMPARE(restart->isEnabled(), canRestart);
    if (!canRestart)
        return;
    // A restart takes a while (this one a second): the window does not wait for it.
    QElapsedTimer clock;
    clock.start();
    click(restart);
    QVERIFY2(clock.elapsed() < 500, qPrintable(QString::number(clock.elapsed())));
    QVERIFY(!restart->isEnabled());
    QVERIFY(status->text().startsWith(u"Running systemctl restart"_s));
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
    QCOMPARE(finished.at(0).at(0).toBool(), restartExit == 0);
    QVERIFY2(status->text().contains(after), qPrintable(status->text()));
    QCOMPARE(contentOf(calls),
            "show --property=LoadState --value singlestoredb-studio.service\n"
            "restart singlestoredb-studio\n");
    QVERIFY(restart->isEnabled());
}

QTEST_MAIN(tst_ClustersPage)
#include "tst_clusterspage.moc"

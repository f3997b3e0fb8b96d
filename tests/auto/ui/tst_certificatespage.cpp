#include "certificatespage.h"
#include "certs/certgenerator.h"
#include "pagetestsupport.h"
#include "testsupport/testsupport.h"

#include <QCheckBox>
#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using namespace StudioProxy;
using PageTestSupport::contentOf;
using PageTestSupport::keepScreenshot;

// Records what the page asks the desktop to open, in place of the user's browser.
class UrlCatcher : public QObject
{
    Q_OBJECT

public slots:

    void open(const QUrl &url) { urls << url; }

public:
    QList<QUrl> urls;
};

// The Certificates page over certificates made for real (the project's generator and the
// openssl command line), as an admin reads it: verdicts, details, files written.
class tst_CertificatesPage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void verdicts_data();
    void verdicts();
    void inspection();
    void passphrase();
    void generateAndUseInConfig();
    void exportCa_data();
    void exportCa();
    void trustCheckPage();

private:
    QString file(const QString &name) const { return m_dir.filePath(name); }

    QString writeConfig(const QString &name, const QByteArray &content) const;

    QTemporaryDir m_dir;
};

namespace {

template <typename T> T *child(const QWidget &page, const char *name)
{
    T *found = page.findChild<T *>(QLatin1StringView(name));
    if (!found)
        qFatal("the page has no %s named %s", T::staticMetaObject.className(), name);
    return found;
}

// A row of the checks table as text: verdict, title, sentence.
struct CheckRow
{
    QString texts[3];

    QString text(int column) const { return texts[column]; }
};

// The row for a check (its internal name), the first whose title contains text; a row saying
// so when there is none, which no comparison accepts.
CheckRow checkRow(const QWidget &page, const QString &name, const QString &text = {})
{
    auto *table = child<QTableWidget>(page, "checksTable");
    for (int row = 0; row < table->rowCount(); ++row) {
        if (table->item(row, 0)->data(Qt::UserRole).toString() == name
                && table->item(row, 1)->text().contains(text)) {
            return CheckRow { { table->item(row, 0)->text(),
                    table->item(row, 1)->text(),
                    table->item(row, 2)->text() } };
        }
    }
    const QString missing = u"<no %1 check titled ...%2...>"_s.arg(name, text);
    return CheckRow { { missing, missing, missing } };
}

QString detail(const QWidget &page, const QString &section, const QString &field)
{
    auto *tree = child<QTreeWidget>(page, "detailsTree");
    for (int i = 0; i < tree->topLevelItemCount(); ++i) {
        QTreeWidgetItem *top = tree->topLevelItem(i);
        if (top->text(0) != section)
            continue;
        for (int j = 0; j < top->childCount(); ++j) {
            if (top->child(j)->text(0) == field)
                return top->child(j)->text(1);
        }
    }
    return u"<no %1 / %2>"_s.arg(section, field);
}

mode_t modeOf(const QString &path)
{
    struct stat info = {};
    return ::stat(QFile::encodeName(path).constData(), &info) == 0 ? info.st_mode & 07777 : 0;
}

// SHA-256 of a certificate as the openssl command line prints it.
QString opensslFingerprint(const QString &folder, const QString &path, const char *form = "PEM")
{
    QByteArray out;
    const QString failed = TestSupport::runOpenssl(folder,
            u"x509 -inform %1 -in %2 -noout -fingerprint -sha256"_s.arg(
                    QLatin1StringView(form), path),
            &out);
    if (!failed.isEmpty())
        return failed;
    return QString::fromLatin1(out.trimmed().mid(out.indexOf('=') + 1));
}

// Waits for the checks that a change started, run off the GUI thread.
bool waitForChecks(CertificatesPage &page, QSignalSpy &finished, int count = 1)
{
    return QTest::qWaitFor([&] { return finished.count() >= count && !page.isBusy(); }, 30000);
}

void click(QPushButton *button)
{
    QVERIFY2(button->isEnabled(), qPrintable(button->objectName() + u" is disabled"_s));
    QTest::mouseClick(button, Qt::LeftButton);
}

} // namespace

QString tst_CertificatesPage::writeConfig(const QString &name, const QByteArray &content) const
{
    const QString path = file(name);
    TestSupport::writeFile(path, content);
    return path;
}

void tst_CertificatesPage::initTestCase()
{
    QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
    // Where the trust report looks for browsers' databases, and the default output folder.
    qputenv("HOME", QFile::encodeName(file(u"home"_s)));
    qputenv("XDG_STATE_HOME", QFile::encodeName(file(u"home/.local/state"_s)));

    GenerateRequest good;
    good.hosts = { u"localhost"_s, u"127.0.0.1"_s };
    good.outputFolder = file(u"good"_s);
    const Result<GeneratedCertificates> made = CertificateGenerator::generate(good);
    QVERIFY2(made, qPrintable(made ? QString() : made.error().message));

    // Made 400 days ago for 30 days: expired for a year.
    GenerateRequest expired = good;
    expired.outputFolder = file(u"expired"_s);
    expired.now = QDateTime::currentDateTimeUtc().addDays(-400);
    expired.leafDays = 30;
    const Result<GeneratedCertificates> old = CertificateGenerator::generate(expired);
    QVERIFY2(old, qPrintable(old ? QString() : old.error().message));

    const QString failed = TestSupport::runOpenssl(m_dir.path(),
            u"pkcs8 -topk8 -v2 aes-256-cbc -in good/server.key -out encrypted.key "
            "-passout pass:s3cret"_s);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QVERIFY(QFile::setPermissions(file(u"encrypted.key"_s), QFile::ReadOwner | QFile::WriteOwner));
}

void tst_CertificatesPage::verdicts_data()
{
    QTest::addColumn<QByteArray>("config");
    QTest::addColumn<QStringList>("hostnames");
    QTest::addColumn<QString>("check");
    QTest::addColumn<QString>("title");
    QTest::addColumn<QString>("verdict");
    QTest::addColumn<QString>("sentence");
    QTest::addColumn<bool>("passed");

    const QByteArray head = "https_proxy_port = 9443\n";
    const QByteArray good = head
            + "ssl_cert = good/server.pem\nssl_key = good/server.key\n"
              "ssl_ca = good/ca.pem\n";
    QTest::newRow("all good") << good << QStringList { u"localhost"_s } << u"name"_s
                              << u"localhost"_s << u"ok"_s << QString() << true;
    QTest::newRow("mismatched key")
            << head
                    + "ssl_cert = good/server.pem\nssl_key = expired/server.key\n"
                      "ssl_ca = good/ca.pem\n"
            << QStringList { u"localhost"_s } << u"key"_s << QString() << u"FAILED"_s
            << u"belongs to no server certificate"_s << false;
    QTest::newRow("expired") << head
                    + "ssl_cert = expired/server.pem\n"
                      "ssl_key = expired/server.key\nssl_ca = expired/ca.pem\n"
                             << QStringList { u"localhost"_s } << u"validity"_s << QString()
                             << u"FAILED"_s << u"expired"_s << false;
    QTest::newRow("wrong hostname")
            << good << QStringList { u"localhost"_s, u"db.example.com"_s } << u"name"_s
            << u"db.example.com is a name"_s << u"FAILED"_s << u"db.example.com"_s << false;
    QTest::newRow("address without an IP SAN")
            << good << QStringList { u"10.1.2.3"_s } << u"name"_s << u"10.1.2.3"_s << u"FAILED"_s
            << u"10.1.2.3"_s << false;
}

void tst_CertificatesPage::verdicts()
{
    QFETCH(QByteArray, config);
    QFETCH(QStringList, hostnames);
    QFETCH(QString, check);
    QFETCH(QString, title);
    QFETCH(QString, verdict);
    QFETCH(QString, sentence);
    QFETCH(bool, passed);

    CertificatesPage page;
    page.show();
    QSignalSpy finished(&page, &CertificatesPage::checksFinished);
    page.setStudioHostnames(hostnames);
    QCOMPARE(child<QLineEdit>(page, "hostnamesEdit")->text(), hostnames.join(u", "_s));
    page.setConfigFile(writeConfig(u"verdicts.cnf"_s, config));

    // The checks run on a worker thread: the call returned before they ended.
    QVERIFY(!page.report());
    QVERIFY(waitForChecks(page, finished));
    QCOMPARE(finished.count(), 1);
    QCOMPARE(finished.at(0).at(0).toBool(), passed);
    QVERIFY(page.report());

    const CheckRow row = checkRow(page, check, title);
    QCOMPARE(row.text(0), verdict);
    QVERIFY2(row.text(2).contains(sentence), qPrintable(row.text(2)));
    const QString summary = child<QLabel>(page, "summaryLabel")->text();
    QVERIFY2(summary.contains(passed ? u"passed"_s : u"failed"_s), qPrintable(summary));
    if (QByteArray(QTest::currentDataTag()) == "wrong hostname")
        keepScreenshot(page, u"certificates-checks"_s);
}

void tst_CertificatesPage::inspection()
{
    const QString key = file(u"inspect/server.key"_s);
    QVERIFY(QDir().mkpath(file(u"inspect"_s)));
    QVERIFY(QFile::copy(file(u"good/server.key"_s), key));
    QVERIFY(QFile::setPermissions(key, QFile::ReadOwner | QFile::WriteOwner));
    CertificatesPage page;
    page.show();
    QSignalSpy finished(&page, &CertificatesPage::checksFinished);
    page.setConfigFile(writeConfig(u"inspect.cnf"_s,
            "https_proxy_port = 9443\nssl_cert = good/server.pem\nssl_key = inspect/server.key\n"));
    QVERIFY(waitForChecks(page, finished));

    const QString server = u"Server certificate"_s;
    QCOMPARE(detail(page, server, u"Subject"_s).contains(u"CN=localhost"_s), true);
    QCOMPARE(detail(page, server, u"Issuer"_s).contains(u"Studio Proxy development CA"_s), true);
    QCOMPARE(detail(page, server, u"Names"_s), u"DNS:localhost, IP:127.0.0.1"_s);
    QCOMPARE(detail(page, server, u"Key"_s), u"EC P-256"_s);
    QCOMPARE(detail(page, server, u"Signature algorithm"_s), u"ecdsa-with-SHA256"_s);
    QCOMPARE(detail(page, server, u"SHA-256 fingerprint"_s),
            opensslFingerprint(m_dir.path(), u"good/server.pem"_s));
    const QDateTime until =
            QDateTime::fromString(detail(page, server, u"Valid until"_s), Qt::ISODate);
    QVERIFY(until > QDateTime::currentDateTimeUtc().addDays(390));
    QCOMPARE(detail(page, u"Private key"_s, u"Matches the server certificate"_s), u"yes"_s);
    QCOMPARE(detail(page, u"Private key"_s, u"Readable by other users"_s), u"no"_s);
    QCOMPARE(detail(page, u"Private key"_s, u"Encrypted"_s), u"no"_s);
    QCOMPARE(checkRow(page, u"key file"_s).text(0), u"ok"_s);

    // The key made readable by everyone: Check again says so.
    QVERIFY(QFile::setPermissions(
            key, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
    click(child<QPushButton>(page, "checkButton"));
    QVERIFY(waitForChecks(page, finished, 2));
    QCOMPARE(detail(page, u"Private key"_s, u"Readable by other users"_s), u"yes"_s);
    QVERIFY(checkRow(page, u"key file"_s).text(0) != u"ok"_s);
    QVERIFY2(checkRow(page, u"key file"_s).text(2).contains(u"chmod"_s),
            qPrintable(checkRow(page, u"key file"_s).text(2)));
}

void tst_CertificatesPage::passphrase()
{
    CertificatesPage page;
    page.show();
    QSignalSpy finished(&page, &CertificatesPage::checksFinished);
    page.setConfigFile(writeConfig(u"encrypted.cnf"_s,
            "https_proxy_port = 9443\nssl_cert = good/server.pem\nssl_key = encrypted.key\n"
            "ssl_ca = good/ca.pem\n"));
    QVERIFY(waitForChecks(page, finished));
    QCOMPARE(checkRow(page, u"key"_s).text(0), u"FAILED"_s);
    QVERIFY2(checkRow(page, u"key"_s).text(2).contains(u"passphrase"_s),
            qPrintable(checkRow(page, u"key"_s).text(2)));

    auto *field = child<QLineEdit>(page, "passphraseEdit");
    QCOMPARE(field->echoMode(), QLineEdit::Password);
    QTest::keyClicks(field, u"wrong"_s);
    click(child<QPushButton>(page, "checkButton"));
    QVERIFY(waitForChecks(page, finished, 2));
    QCOMPARE(checkRow(page, u"key"_s).text(0), u"FAILED"_s);

    field->clear();
    QTest::keyClicks(field, u"s3cret"_s);
    QTest::keyClick(field, Qt::Key_Return);
    QVERIFY(waitForChecks(page, finished, 3));
    QCOMPARE(checkRow(page, u"key"_s).text(0), u"ok"_s);
    QCOMPARE(detail(page, u"Private key"_s, u"Encrypted"_s), u"yes"_s);
    QCOMPARE(detail(page, u"Private key"_s, u"Matches the server certificate"_s), u"yes"_s);
}

void tst_CertificatesPage::generateAndUseInConfig()
{
    const QByteArray original = "# the engine's config\nhttps_proxy_port = 9443\n"
                                "ssl_cert = expired/server.pem\nssl_key = expired/server.key\n";
    const QString config = writeConfig(u"generate.cnf"_s, original);
    CertificatesPage page;
    page.show();
    QSignalSpy finished(&page, &CertificatesPage::checksFinished);
    QSignalSpy changed(&page, &CertificatesPage::configFileChanged);
    page.setStudioHostnames({ u"studio.test"_s });
    page.setConfigFile(config);
    QVERIFY(waitForChecks(page, finished));
    QCOMPARE(checkRow(page, u"name"_s, u"studio.test"_s).text(0), u"FAILED"_s);
    QCOMPARE(child<QLineEdit>(page, "generateHostsEdit")->text(), u"studio.test"_s);

    const QString out = file(u"made"_s);
    auto *hosts = child<QLineEdit>(page, "generateHostsEdit");
    hosts->clear();
    QTest::keyClicks(hosts, u"studio.test, 127.0.0.1 ::1"_s);
    auto *folder = child<QLineEdit>(page, "generateFolderEdit");
    QCOMPARE(folder->text(), file(u"home/.local/state/studio-proxy/certs"_s));
    folder->setText(out);
    QTest::mouseClick(child<QCheckBox>(page, "updateConfigCheck"), Qt::LeftButton);
    click(child<QPushButton>(page, "generateButton"));

    // The config file was changed, then the checks ran again on the new files.
    QTRY_COMPARE_WITH_TIMEOUT(changed.count(), 1, 30000);
    QCOMPARE(changed.at(0).at(0).toString(), config);
    QVERIFY(waitForChecks(page, finished, 2));
    const QString result = child<QPlainTextEdit>(page, "generateResult")->toPlainText();
    QVERIFY2(result.contains(u"Made the server certificate %1/server.pem"_s.arg(out)),
            qPrintable(result));

    QCOMPARE(modeOf(out + u"/server.key"_s), mode_t(0600));
    QCOMPARE(modeOf(out + u"/ca.key"_s), mode_t(0600));
    QString failed =
            TestSupport::runOpenssl(out, u"verify -x509_strict -CAfile ca.pem server.pem"_s);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QByteArray text;
    failed = TestSupport::runOpenssl(
            out, u"x509 -in server.pem -noout -ext subjectAltName"_s, &text);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QVERIFY2(text.contains("DNS:studio.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"),
            text.constData());

    const QByteArray updated = contentOf(config);
    QVERIFY2(updated.startsWith("# the engine's config\nhttps_proxy_port = 9443\n"),
            updated.constData());
    QVERIFY2(updated.contains(QByteArray("ssl_cert = " + QFile::encodeName(out) + "/server.pem\n")),
            updated.constData());
    QVERIFY2(updated.contains(QByteArray("ssl_key = " + QFile::encodeName(out) + "/server.key\n")),
            updated.constData());
    QCOMPARE(contentOf(config + u".bak"_s).isEmpty(), false);

    QVERIFY(page.report());
    QCOMPARE(checkRow(page, u"name"_s, u"studio.test"_s).text(0), u"ok"_s);
    QCOMPARE(checkRow(page, u"key"_s).text(0), u"ok"_s);
    QCOMPARE(checkRow(page, u"validity"_s).text(0), u"ok"_s);

    // The trust steps name the new CA.
    QCOMPARE(child<QLineEdit>(page, "caPathEdit")->text(), out + u"/ca.crt"_s);
    auto *steps = child<QPlainTextEdit>(page, "trustSteps");
    QTRY_VERIFY_WITH_TIMEOUT(steps->toPlainText().contains(u"update-ca-certificates"_s), 30000);
    QVERIFY2(steps->toPlainText().contains(u"sudo cp %1/ca.crt"_s.arg(out)),
            qPrintable(steps->toPlainText()));
    QVERIFY2(steps->toPlainText().contains(
                     u"certutil -A -d sql:%1/.pki/nssdb"_s.arg(file(u"home"_s))),
            qPrintable(steps->toPlainText()));

    auto *tabs = page.findChild<QTabWidget *>();
    tabs->setCurrentIndex(1);
    keepScreenshot(page, u"certificates-details"_s);
    tabs->setCurrentIndex(2);
    keepScreenshot(page, u"certificates-generate"_s);
    tabs->setCurrentIndex(3);
    keepScreenshot(page, u"certificates-trust"_s);
}

void tst_CertificatesPage::exportCa_data()
{
    QTest::addColumn<bool>("der");
    QTest::newRow("PEM") << false;
    QTest::newRow("DER") << true;
}

void tst_CertificatesPage::exportCa()
{
    QFETCH(bool, der);

    CertificatesPage page;
    page.show();
    auto *ca = child<QLineEdit>(page, "caPathEdit");
    ca->setText(file(u"good/ca.pem"_s));
    QMetaObject::invokeMethod(ca, &QLineEdit::editingFinished);
    const QString target = file(der ? u"exported.der"_s : u"exported.crt"_s);

    click(child<QPushButton>(page, der ? "exportDerButton" : "exportPemButton"));
    auto *dialog = page.findChild<QFileDialog *>(u"exportDialog"_s);
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    dialog->selectFile(target);
    static_cast<QDialog *>(dialog)->accept(); // what the Save button does

    QVERIFY2(QFile::exists(target), qPrintable(child<QLabel>(page, "exportResult")->text()));
    QCOMPARE(opensslFingerprint(m_dir.path(), target, der ? "DER" : "PEM"),
            opensslFingerprint(m_dir.path(), u"good/ca.pem"_s));
    QCOMPARE(contentOf(target).startsWith("-----BEGIN CERTIFICATE-----"), !der);
    const QString said = child<QLabel>(page, "exportResult")->text();
    QVERIFY2(said.contains(target) && said.contains(der ? u"DER"_s : u"PEM"_s), qPrintable(said));
}

void tst_CertificatesPage::trustCheckPage()
{
    UrlCatcher browser;
    QDesktopServices::setUrlHandler(u"https"_s, &browser, "open");

    CertificatesPage page;
    page.show();
    QSignalSpy finished(&page, &CertificatesPage::checksFinished);
    auto *button = child<QPushButton>(page, "trustCheckButton");
    page.setConfigFile(writeConfig(u"plain.cnf"_s, "http_proxy_port = 8080\n"));
    QVERIFY(waitForChecks(page, finished));
    QVERIFY(!button->isEnabled()); // ws:// serves no certificate
    QVERIFY(!page.report());
    QVERIFY(child<QLabel>(page, "summaryLabel")->text().contains(u"sets no ssl_cert"_s));

    page.setStudioHostnames({ u"db1.example.com"_s, u"localhost"_s });
    page.setConfigFile(writeConfig(u"tls.cnf"_s,
            "https_proxy_port = 9443\nssl_cert = good/server.pem\nssl_key = good/server.key\n"));
    QVERIFY(waitForChecks(page, finished, 2));
    QCOMPARE(page.trustCheckUrl(), u"https://db1.example.com:9443/"_s);
    click(button);
    QCOMPARE(browser.urls, QList<QUrl> { QUrl(u"https://db1.example.com:9443/"_s) });
    QVERIFY(child<QLabel>(page, "trustCheckUrl")->text().contains(u"Opened"_s));
    QDesktopServices::unsetUrlHandler(u"https"_s);
}

QTEST_MAIN(tst_CertificatesPage)
#include "tst_certificatespage.moc"

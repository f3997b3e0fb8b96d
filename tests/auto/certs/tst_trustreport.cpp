#include "certs/trustreport.h"

#include "testsupport/testsupport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// The system store's part of the trust report (CG-08): Debian's update-ca-certificates takes
// only PEM files named *.crt from the local folder into the bundle, and the report reads the
// bundle it made instead of assuming. Each case runs the real update-ca-certificates on a
// folder tree of its own, so the machine's own store is never touched.
class tst_TrustReport : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void missingBundle();
    void followingTheStepsPutsTheCaInTheBundle();
    void aPemNamedFileIsNotTaken();
    void aServerCertificateIsRefused();

private:
    QString path(const QString &name) const { return m_dir.filePath(name); }

    // Runs update-ca-certificates with every folder inside this test's own tree.
    void updateCaCertificates();
    const TrustStore *systemStore(const TrustReport &report) const;
    TrustReportOptions options() const;

    QTemporaryDir m_dir;
    QString m_updater;
};

void tst_TrustReport::initTestCase()
{
    QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
    m_updater = QStandardPaths::findExecutable(
            u"update-ca-certificates"_s, { u"/usr/sbin"_s, u"/usr/bin"_s, u"/sbin"_s });
    QVERIFY2(!m_updater.isEmpty(), "update-ca-certificates is missing (package ca-certificates)");
    for (const QString &folder : { u"local"_s, u"share"_s, u"etc-certs"_s, u"hooks"_s, u"home"_s })
        QVERIFY(QDir().mkpath(path(folder)));
    // The system's own roots: one other CA, so that the bundle exists before ours is added.
    TestSupport::writeFile(path(u"ca-certificates.conf"_s), "other.crt\n");
    const QList<std::pair<QString, QString>> authorities = { { u"ca"_s, u"Ours"_s },
        { u"share/other"_s, u"Another"_s } };
    for (const auto &[file, name] : authorities) {
        const QString failed = TestSupport::runOpenssl(m_dir.path(),
                u"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout %1.key "
                "-subj \"/CN=%2 Test CA\" -days 30 "
                "-addext basicConstraints=critical,CA:TRUE -out %1.crt"_s.arg(file, name));
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
    }
}

TrustReportOptions tst_TrustReport::options() const
{
    TrustReportOptions options;
    options.home = path(u"home"_s);
    options.systemBundle = path(u"etc-certs/ca-certificates.crt"_s);
    options.localCaFolder = path(u"local"_s);
    return options;
}

void tst_TrustReport::updateCaCertificates()
{
    QProcess updater;
    updater.start(m_updater,
            { u"--fresh"_s,
                    u"--certsconf"_s,
                    path(u"ca-certificates.conf"_s),
                    u"--certsdir"_s,
                    path(u"share"_s),
                    u"--localcertsdir"_s,
                    path(u"local"_s),
                    u"--etccertsdir"_s,
                    path(u"etc-certs"_s),
                    u"--hooksdir"_s,
                    path(u"hooks"_s) });
    QVERIFY(updater.waitForFinished(30000));
    QVERIFY2(updater.exitStatus() == QProcess::NormalExit && updater.exitCode() == 0,
            updater.readAllStandardError().constData());
}

const TrustStore *tst_TrustReport::systemStore(const TrustReport &report) const
{
    for (const TrustStore &store : report.stores) {
        if (store.kind == TrustStore::Kind::System)
            return &store;
    }
    return nullptr;
}

void tst_TrustReport::missingBundle()
{
    TrustReportOptions missing = options();
    missing.systemBundle = path(u"etc-certs/no-such-bundle.crt"_s);
    const Result<TrustReport> report = TrustReport::build(path(u"ca.crt"_s), missing);
    QVERIFY2(report, qPrintable(report ? QString() : report.error().message));
    const TrustStore *system = systemStore(report.value());
    QVERIFY(system);
    QVERIFY(!system->exists);
    QVERIFY(!system->holdsCa);
    QVERIFY2(system->sentence.contains(u"does not exist"_s), qPrintable(system->sentence));
}

void tst_TrustReport::followingTheStepsPutsTheCaInTheBundle()
{
    updateCaCertificates(); // an empty bundle
    const Result<TrustReport> before = TrustReport::build(path(u"ca.crt"_s), options());
    QVERIFY(before);
    const TrustStore *system = systemStore(before.value());
    QVERIFY(system);
    QVERIFY(system->exists);
    QCOMPARE(system->holdsCa, std::optional<bool>(false));
    QCOMPARE(system->commands.size(), 2);
    QVERIFY2(system->commands.at(1).endsWith(u"update-ca-certificates"_s),
            qPrintable(system->commands.at(1)));

    // The first step, as printed: a copy of the CA, named *.crt, in the local folder.
    const QStringList copy = QProcess::splitCommand(system->commands.at(0));
    QCOMPARE(copy.value(0), u"sudo"_s);
    QCOMPARE(copy.value(1), u"cp"_s);
    QCOMPARE(copy.size(), 4);
    QVERIFY2(copy.at(3).endsWith(u".crt"_s), qPrintable(copy.at(3)));
    QVERIFY(QFile::copy(copy.at(2), copy.at(3)));
    updateCaCertificates();

    const Result<TrustReport> after = TrustReport::build(path(u"ca.crt"_s), options());
    QVERIFY(after);
    system = systemStore(after.value());
    QCOMPARE(system->holdsCa, std::optional<bool>(true));
    QVERIFY2(system->sentence.contains(u"holds the CA"_s), qPrintable(system->sentence));
    QVERIFY(system->commands.isEmpty());
    QVERIFY(QFile::remove(copy.at(3)));
}

void tst_TrustReport::aPemNamedFileIsNotTaken()
{
    // The same CA under a .pem name is not read by update-ca-certificates, and the report
    // says so rather than assuming a file in the folder is enough.
    QVERIFY(QFile::copy(path(u"ca.crt"_s), path(u"local/studio-proxy-development-ca.pem"_s)));
    updateCaCertificates();
    const Result<TrustReport> report = TrustReport::build(path(u"ca.crt"_s), options());
    QVERIFY(report);
    const TrustStore *system = systemStore(report.value());
    QCOMPARE(system->holdsCa, std::optional<bool>(false));
    QCOMPARE(system->commands.size(), 2);
}

// Browsers trust issuers only: steps to trust a server certificate itself would do nothing.
void tst_TrustReport::aServerCertificateIsRefused()
{
    const QString failed = TestSupport::runOpenssl(m_dir.path(),
            u"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key "
            "-subj \"/CN=localhost\" -days 30 -addext basicConstraints=critical,CA:FALSE "
            "-addext subjectAltName=DNS:localhost -out leaf.crt"_s);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    const Result<TrustReport> report = TrustReport::build(path(u"leaf.crt"_s), options());
    QVERIFY(!report);
    QVERIFY2(report.error().message.contains(u"not a CA certificate"_s),
            qPrintable(report.error().message));
    QVERIFY2(report.error().message.contains(u"self-signed"_s), qPrintable(report.error().message));

    // One a CA signed: that CA is the one to trust.
    const QString signedFailed = TestSupport::runOpenssl(m_dir.path(),
            u"req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout signed.key "
            "-subj \"/CN=signed.example.test\" -out signed.csr"_s);
    QVERIFY2(signedFailed.isEmpty(), qPrintable(signedFailed));
    const QString signFailed = TestSupport::runOpenssl(m_dir.path(),
            u"x509 -req -in signed.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 "
            "-out signed.crt"_s);
    QVERIFY2(signFailed.isEmpty(), qPrintable(signFailed));
    const Result<TrustReport> bySigned = TrustReport::build(path(u"signed.crt"_s), options());
    QVERIFY(!bySigned);
    QVERIFY2(bySigned.error().message.contains(u"Ours Test CA"_s),
            qPrintable(bySigned.error().message));
}

QTEST_GUILESS_MAIN(tst_TrustReport)
#include "tst_trustreport.moc"

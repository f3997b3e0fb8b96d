#include "certs/certchecks.h"
#include "testsupport/testsupport.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::Verdict)

// Every check of `studio-proxy cert check` over certificates made by the openssl command line,
// as an admin would bring them: the verdict, and a sentence that names what to do.
class tst_CertChecks : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void checks_data();
    void checks();
    void inspection();
    void passphraseFromTheGui();

private:
    QString file(const QString &name) const { return m_dir.filePath(name); }

    QTemporaryDir m_dir;
};

namespace {

const char OpenSslConfig[] = R"(
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:*.example.test, IP:127.0.0.1
authorityKeyIdentifier = keyid
[nosan_ext]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
[client_ext]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = clientAuth
subjectAltName = DNS:localhost
)";

QString ecKey(const QString &out)
{
    return u"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %1"_s.arg(out);
}

QString signedBy(
        const QString &key, const QString &issuer, const QString &extensions, const QString &out)
{
    return u"x509 -req -in %1.csr -CA %2.pem -CAkey %2.key -set_serial 0x%3 -days 200 "
           "-sha256 -extfile openssl.cnf -extensions %4 -out %5"_s.arg(
                   key, issuer, QString::number(qHash(out), 16), extensions, out);
}

QString request(const QString &key)
{
    return u"req -config openssl.cnf -new -key %1.key -subj /CN=localhost -out %1.csr"_s.arg(key);
}

// The time a certificate made today is checked at, shifted by days.
QDateTime inDays(int days)
{
    return QDateTime::currentDateTimeUtc().addDays(days);
}

} // namespace

void tst_CertChecks::initTestCase()
{
    QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
    TestSupport::writeFile(file(u"openssl.cnf"_s), OpenSslConfig);
    const QStringList commands = {
        ecKey(u"root.key"_s),
        u"req -config openssl.cnf -new -x509 -key root.key -subj \"/CN=Checks Root\" -days 3650 "
        "-extensions ca_ext -out root.pem"_s,
        ecKey(u"intermediate.key"_s),
        request(u"intermediate"_s),
        signedBy(u"intermediate"_s, u"root"_s, u"ca_ext"_s, u"intermediate.pem"_s),
        ecKey(u"leaf.key"_s),
        request(u"leaf"_s),
        signedBy(u"leaf"_s, u"intermediate"_s, u"leaf_ext"_s, u"leaf.pem"_s),
        signedBy(u"leaf"_s, u"intermediate"_s, u"nosan_ext"_s, u"nosan.pem"_s),
        signedBy(u"leaf"_s, u"intermediate"_s, u"client_ext"_s, u"client.pem"_s),
        u"genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weak.key"_s,
        request(u"weak"_s),
        signedBy(u"weak"_s, u"intermediate"_s, u"leaf_ext"_s, u"weak.pem"_s),
        ecKey(u"other.key"_s),
        u"req -config openssl.cnf -new -x509 -key leaf.key -subj /CN=localhost -days 30 "
        "-addext subjectAltName=DNS:localhost -out selfsigned.pem"_s,
        u"pkcs8 -topk8 -v2 aes-256-cbc -in leaf.key -out encrypted.key -passout pass:s3cret"_s,
    };
    for (const QString &command : commands) {
        const QString failed = TestSupport::runOpenssl(m_dir.path(), command);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
    }
    const auto read = [this](const QString &name) {
        QFile in(file(name));
        return in.open(QIODevice::ReadOnly) ? in.readAll() : QByteArray();
    };
    TestSupport::writeFile(
            file(u"fullchain.pem"_s), read(u"leaf.pem"_s) + read(u"intermediate.pem"_s));
    TestSupport::writeFile(
            file(u"ca-bundle.pem"_s), read(u"root.pem"_s) + read(u"intermediate.pem"_s));
    TestSupport::writeFile(file(u"right.pass"_s), "s3cret\n");
    TestSupport::writeFile(file(u"wrong.pass"_s), "guess\n");
    for (const QString &key : { u"leaf.key"_s, u"other.key"_s, u"weak.key"_s, u"encrypted.key"_s })
        QFile::setPermissions(file(key), QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QFile::copy(file(u"leaf.key"_s), file(u"shared.key"_s));
    QFile::setPermissions(file(u"shared.key"_s),
            QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadOther);
}

void tst_CertChecks::checks_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("ca");
    QTest::addColumn<QString>("passphraseFile");
    QTest::addColumn<QString>("host"); // checked when not empty
    QTest::addColumn<QDateTime>("now");
    QTest::addColumn<QString>("check"); // the name of the check looked at
    QTest::addColumn<Verdict>("verdict");
    QTest::addColumn<QString>("sentenceHolds");

    const QString full = u"fullchain.pem"_s;
    const QString leaf = u"leaf.pem"_s;
    const QString key = u"leaf.key"_s;
    const QString root = u"root.pem"_s;
    const QDateTime now = inDays(0);
    const QString none;

    QTest::newRow("key matches") << full << key << root << none << none << now << u"key"_s
                                 << Verdict::Pass << u"EC P-256"_s;
    QTest::newRow("mismatched key") << full << u"other.key"_s << root << none << none << now
                                    << u"key"_s << Verdict::Fail << u"belongs to no server"_s;
    QTest::newRow("CA's key") << full << u"intermediate.key"_s << root << none << none << now
                              << u"key"_s << Verdict::Fail << u"belongs to no server"_s;
    QTest::newRow("encrypted key, no passphrase")
            << full << u"encrypted.key"_s << root << none << none << now << u"key"_s
            << Verdict::Fail << u"ssl_key_passphrase_file"_s;
    QTest::newRow("encrypted key, wrong passphrase")
            << full << u"encrypted.key"_s << root << u"wrong.pass"_s << none << now << u"key"_s
            << Verdict::Fail << u"cannot be decrypted"_s;
    QTest::newRow("encrypted key, right passphrase")
            << full << u"encrypted.key"_s << root << u"right.pass"_s << none << now << u"key"_s
            << Verdict::Pass << u"belongs to the server certificate"_s;
    QTest::newRow("key readable by others")
            << full << u"shared.key"_s << root << none << none << now << u"key file"_s
            << Verdict::Warning << u"chmod 600"_s;
    QTest::newRow("key private") << full << key << root << none << none << now << u"key file"_s
                                 << Verdict::Pass << u"Only its owner"_s;

    QTest::newRow("chain complete") << full << key << root << none << none << now << u"chain"_s
                                    << Verdict::Pass << u"CN=Checks Root from ssl_ca"_s;
    QTest::newRow("intermediate from ssl_ca")
            << leaf << key << u"ca-bundle.pem"_s << none << none << now << u"chain"_s
            << Verdict::Pass << u"CN=Checks Root"_s;
    QTest::newRow("missing intermediate")
            << leaf << key << root << none << none << now << u"chain"_s << Verdict::Fail
            << u"add the intermediate certificate"_s;
    QTest::newRow("root not given") << full << key << none << none << none << now << u"chain"_s
                                    << Verdict::Fail << u"CN=Checks Root"_s;
    QTest::newRow("self-signed") << u"selfsigned.pem"_s << key << none << none << none << now
                                 << u"chain"_s << Verdict::Fail << u"self-signed"_s;

    QTest::newRow("valid") << full << key << root << none << none << now << u"validity"_s
                           << Verdict::Pass << u"days left"_s;
    QTest::newRow("expiring in 20 days") << full << key << root << none << none << inDays(180)
                                         << u"validity"_s << Verdict::Warning << u"renew it"_s;
    QTest::newRow("expired") << full << key << root << none << none << inDays(201) << u"validity"_s
                             << Verdict::Fail << u"expired on"_s;
    QTest::newRow("not yet valid") << full << key << root << none << none << inDays(-2)
                                   << u"validity"_s << Verdict::Fail << u"not valid before"_s;

    QTest::newRow("right name") << full << key << root << none << u"localhost"_s << now << u"name"_s
                                << Verdict::Pass << u"is a name"_s;
    QTest::newRow("wrong name") << full << key << root << none << u"db.example.com"_s << now
                                << u"name"_s << Verdict::Fail << u"DNS:db.example.com"_s;
    QTest::newRow("wildcard") << full << key << root << none << u"studio.example.test"_s << now
                              << u"name"_s << Verdict::Pass << u"*.example.test"_s;
    QTest::newRow("wildcard, two labels deep")
            << full << key << root << none << u"a.studio.example.test"_s << now << u"name"_s
            << Verdict::Fail << u"one label only"_s;
    QTest::newRow("IP with IP SAN") << full << key << root << none << u"127.0.0.1"_s << now
                                    << u"name"_s << Verdict::Pass << u"IP address"_s;
    QTest::newRow("IP without IP SAN") << full << key << root << none << u"192.168.7.7"_s << now
                                       << u"name"_s << Verdict::Fail << u"add IP:192.168.7.7"_s;
    QTest::newRow("only the CN") << u"nosan.pem"_s << key << root << none << u"localhost"_s << now
                                 << u"name"_s << Verdict::Fail << u"ignore the subject"_s;

    QTest::newRow("EC P-256") << full << key << root << none << none << now << u"strength"_s
                              << Verdict::Pass << u"EC P-256"_s;
    QTest::newRow("weak key") << u"weak.pem"_s << u"weak.key"_s << root << none << none << now
                              << u"strength"_s << Verdict::Fail << u"RSA 1024"_s;

    QTest::newRow("a server certificate") << full << key << root << none << none << now << u"leaf"_s
                                          << Verdict::Pass << u"serverAuth"_s;
    QTest::newRow("a CA as the leaf")
            << u"intermediate.pem"_s << u"intermediate.key"_s << root << none << none << now
            << u"leaf"_s << Verdict::Fail << u"Firefox refuses"_s;
    QTest::newRow("no subjectAltName") << u"nosan.pem"_s << key << root << none << none << now
                                       << u"leaf"_s << Verdict::Fail << u"no subjectAltName"_s;
    QTest::newRow("clientAuth only") << u"client.pem"_s << key << root << none << none << now
                                     << u"leaf"_s << Verdict::Fail << u"serverAuth"_s;

    QTest::newRow("TLS 1.2") << full << key << root << none << none << now << u"tls"_s
                             << Verdict::Pass << u"TLS 1.2"_s;
}

void tst_CertChecks::checks()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, ca);
    QFETCH(QString, passphraseFile);
    QFETCH(QString, host);
    QFETCH(QDateTime, now);
    QFETCH(QString, check);
    QFETCH(Verdict, verdict);
    QFETCH(QString, sentenceHolds);

    CheckRequest request;
    request.certPath = file(cert);
    request.keyPath = file(key);
    request.caPath = ca.isEmpty() ? QString() : file(ca);
    request.passphrase.file = passphraseFile.isEmpty() ? QString() : file(passphraseFile);
    if (!host.isEmpty())
        request.hostnames << host;
    request.now = now;
    request.useSystemStore = false;

    const Result<CheckReport> report = checkCertificate(request);
    QVERIFY2(report, qPrintable(report ? QString() : report.error().message));
    const auto found = std::find_if(report->checks.begin(),
            report->checks.end(),
            [&](const CertificateCheck &item) { return item.name == check; });
    QVERIFY2(found != report->checks.end(), qPrintable(check));
    QVERIFY2(found->verdict == verdict,
            qPrintable(u"%1: %2"_s.arg(verdictName(found->verdict), found->sentence)));
    QVERIFY2(found->sentence.contains(sentenceHolds), qPrintable(found->sentence));
    QCOMPARE(report->passed(), report->worst() != Verdict::Fail);
    if (verdict == Verdict::Fail)
        QVERIFY(!report->passed());
}

// What `cert inspect` shows: the chain as served (leaf first, intermediates from the file
// or the CA file, no root), the names, dates, key and fingerprint.
void tst_CertChecks::inspection()
{
    const Result<CertificateInspection> inspected =
            inspectCertificate(file(u"leaf.pem"_s), file(u"leaf.key"_s), file(u"ca-bundle.pem"_s));
    QVERIFY(inspected);
    QCOMPARE(inspected->chain.size(), 2);
    const CertificateInfo &leaf = inspected->chain.at(0);
    QCOMPARE(leaf.subject, u"CN=localhost"_s);
    QCOMPARE(leaf.issuer, inspected->chain.at(1).subject);
    QCOMPARE(leaf.names(),
            QStringList({ u"DNS:localhost"_s, u"DNS:*.example.test"_s, u"IP:127.0.0.1"_s }));
    QCOMPARE(leaf.keyDescription(), u"EC P-256"_s);
    QCOMPARE(leaf.signatureAlgorithm, u"ecdsa-with-SHA256"_s);
    QVERIFY(leaf.notBefore < QDateTime::currentDateTimeUtc());
    QCOMPARE(leaf.notBefore.daysTo(leaf.notAfter), 200);
    QByteArray fingerprint;
    const QString failed = TestSupport::runOpenssl(
            m_dir.path(), u"x509 -in leaf.pem -noout -fingerprint -sha256"_s, &fingerprint);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QCOMPARE(u"sha256 Fingerprint="_s + leaf.fingerprint,
            QString::fromLatin1(fingerprint.trimmed()));
    QVERIFY(inspected->key.matchesLeaf.value_or(false));
    QVERIFY(!inspected->key.readableByOthers);
    QVERIFY(!inspected->chain.at(1).selfIssued);
}

// The GUI passes a typed passphrase instead of a file; it never waits on a terminal.
void tst_CertChecks::passphraseFromTheGui()
{
    const auto inspect = [this](const QByteArray &passphrase) {
        return inspectCertificate(file(u"fullchain.pem"_s),
                file(u"encrypted.key"_s),
                QString(),
                KeyPassphrase { QString(), passphrase });
    };
    const Result<CertificateInspection> wrong = inspect("guess");
    QVERIFY(wrong);
    QVERIFY(!wrong->key.loaded);
    QVERIFY(wrong->key.encrypted);
    QVERIFY2(wrong->key.error.contains(u"cannot be decrypted with the passphrase given"_s),
            qPrintable(wrong->key.error));
    const Result<CertificateInspection> right = inspect("s3cret");
    QVERIFY(right);
    QVERIFY(right->key.loaded);
    QVERIFY(right->key.matchesLeaf.value_or(false));
}

QTEST_GUILESS_MAIN(tst_CertChecks)
#include "tst_certchecks.moc"

#include "certs/certchecks.h"
#include "certs/certgenerator.h"
#include "certs/certinspection.h"
#include "certs/hostnames.h"
#include "config/configfile.h"
#include "testsupport/testsupport.h"

#include <QFile>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

// The development CA and the server certificates signed by it, checked against what browsers
// insist on (CASES.md, CG-01 to CG-06) with our inspection and with the openssl command line.
class tst_CertGenerator : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void leafProfile();
    void caProfile();
    void lifetimes();
    void strictVerify();
    void keyFiles();
    void passesEveryCheck();
    void rsa();
    void hostRules_data();
    void hostRules();
    void matching_data();
    void matching();
    void addressWrittenAsDnsName();
    void reusesTheCa();
    void updatesTheConfig();

private:
    QString file(const QString &name) const { return m_dir.filePath(name); }

    QTemporaryDir m_dir;
    QDateTime m_now;
    GeneratedCertificates m_files;
    CertificateInfo m_leaf;
    CertificateInfo m_ca;
};

namespace {

const QStringList Hosts = { u"localhost"_s,
    u"studio.example.test"_s,
    u"*.dev.example.test"_s,
    u"127.0.0.1"_s,
    u"::1"_s,
    u"10.0.0.5"_s };

CertificateInfo onlyCertificate(const QString &path)
{
    const Result<QList<CertificateInfo>> certificates = inspectCertificateFile(path);
    if (!certificates || certificates->size() != 1)
        qFatal("%s does not hold exactly one certificate", qPrintable(path));
    return certificates->constFirst();
}

mode_t modeOf(const QString &path)
{
    struct stat status = {};
    ::stat(QFile::encodeName(path).constData(), &status);
    return status.st_mode & 0777;
}

} // namespace

void tst_CertGenerator::initTestCase()
{
    QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
    m_now = QDateTime::currentDateTimeUtc();
    GenerateRequest request;
    request.hosts = Hosts;
    request.outputFolder = file(u"dev"_s);
    request.now = m_now;
    const Result<GeneratedCertificates> files = CertificateGenerator::generate(request);
    QVERIFY2(files, qPrintable(files ? QString() : files.error().message));
    m_files = files.value();
    QVERIFY(!m_files.caReused);
    m_leaf = onlyCertificate(m_files.cert);
    m_ca = onlyCertificate(m_files.caCert);
}

// CG-01, CG-02, CG-05: names in the SAN (addresses as IP entries), a leaf that is no CA.
void tst_CertGenerator::leafProfile()
{
    QVERIFY(m_leaf.hasSubjectAltName);
    QCOMPARE(m_leaf.dnsNames,
            QStringList({ u"localhost"_s, u"studio.example.test"_s, u"*.dev.example.test"_s }));
    QCOMPARE(m_leaf.ipAddresses, QStringList({ u"127.0.0.1"_s, u"::1"_s, u"10.0.0.5"_s }));
    QVERIFY(m_leaf.hasBasicConstraints);
    QVERIFY(!m_leaf.isCa);
    QCOMPARE(m_leaf.extendedKeyUsage, QStringList { u"serverAuth"_s });
    QCOMPARE(m_leaf.keyUsage, QStringList { u"digitalSignature"_s });
    QVERIFY(m_leaf.hasAuthorityKeyIdentifier);
    QCOMPARE(m_leaf.keyDescription(), u"EC P-256"_s);
    QCOMPARE(m_leaf.signatureAlgorithm, u"ecdsa-with-SHA256"_s);
    QCOMPARE(m_leaf.issuer, m_ca.subject);
}

// CG-06: a CA that browsers and OpenSSL's strict mode accept as one.
void tst_CertGenerator::caProfile()
{
    QVERIFY(m_ca.isCa);
    QVERIFY(m_ca.basicConstraintsCritical);
    QCOMPARE(m_ca.keyUsage, QStringList({ u"keyCertSign"_s, u"cRLSign"_s }));
    QVERIFY(m_ca.keyUsageCritical);
    QVERIFY(m_ca.hasSubjectKeyIdentifier);
    QVERIFY(m_ca.selfIssued);
    QVERIFY2(m_ca.commonName.startsWith(u"Studio Proxy development CA"_s),
            qPrintable(m_ca.commonName));
    QCOMPARE(m_files.caFingerprint, m_ca.fingerprint);

    // The DER export is the same certificate.
    QFile der(m_files.caDer);
    QVERIFY(der.open(QIODevice::ReadOnly));
    QCOMPARE(QSslCertificate(der.readAll(), QSsl::Der).toPem(), m_ca.pem);
    QFile crt(m_files.caCrt);
    QVERIFY(crt.open(QIODevice::ReadOnly));
    QCOMPARE(crt.readAll(), m_ca.pem);
}

// CG-04: 397 days by default, started an hour ago for clocks running behind; at most 825.
void tst_CertGenerator::lifetimes()
{
    const qint64 started = m_now.toSecsSinceEpoch() - m_leaf.notBefore.toSecsSinceEpoch();
    QVERIFY2(started >= 3600 && started <= 3602, qPrintable(QString::number(started)));
    QCOMPARE(m_leaf.notAfter.toSecsSinceEpoch() - m_now.toSecsSinceEpoch(), 397 * 86400);
    QVERIFY(m_ca.notAfter > m_leaf.notAfter);

    GenerateRequest request;
    request.hosts = { u"localhost"_s };
    request.outputFolder = file(u"lifetimes"_s);
    request.leafDays = 825;
    QVERIFY(CertificateGenerator::generate(request));
    request.leafDays = 826;
    const Result<GeneratedCertificates> refused = CertificateGenerator::generate(request);
    QVERIFY(!refused);
    QVERIFY2(refused.error().message.contains(u"825"_s), qPrintable(refused.error().message));
}

// CG-06, in the words of the issue: `openssl verify -x509_strict -CAfile ca.pem leaf.pem`.
void tst_CertGenerator::strictVerify()
{
    QByteArray output;
    const QString failed = TestSupport::runOpenssl(m_files.caCert.section(u'/', 0, -2),
            u"verify -x509_strict -purpose sslserver -CAfile ca.pem server.pem"_s,
            &output);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    QVERIFY2(output.contains("server.pem: OK"), output.constData());
}

void tst_CertGenerator::keyFiles()
{
    QCOMPARE(modeOf(m_files.key), mode_t(0600));
    QCOMPARE(modeOf(m_files.caKey), mode_t(0600));
    QCOMPARE(modeOf(m_files.cert), mode_t(0644));
    QCOMPARE(modeOf(m_files.caCrt), mode_t(0644));
}

// What the generator makes, the checks pass: the whole point of generating it.
void tst_CertGenerator::passesEveryCheck()
{
    CheckRequest request;
    request.certPath = m_files.cert;
    request.keyPath = m_files.key;
    request.caPath = m_files.caCert;
    request.hostnames = Hosts;
    request.hostnames << u"a.dev.example.test"_s << u"[::1]"_s;
    request.useSystemStore = false;
    const Result<CheckReport> report = checkCertificate(request);
    QVERIFY(report);
    for (const CertificateCheck &check : report->checks)
        QVERIFY2(
                check.verdict == Verdict::Pass, qPrintable(check.title + u": "_s + check.sentence));
    QCOMPARE(report->checks.size(), 7 + request.hostnames.size());
}

void tst_CertGenerator::rsa()
{
    GenerateRequest request;
    request.hosts = { u"localhost"_s };
    request.outputFolder = file(u"rsa"_s);
    request.algorithm = KeyAlgorithm::Rsa;
    request.rsaBits = 3072;
    const Result<GeneratedCertificates> files = CertificateGenerator::generate(request);
    QVERIFY2(files, qPrintable(files ? QString() : files.error().message));
    const CertificateInfo leaf = onlyCertificate(files->cert);
    QCOMPARE(leaf.keyDescription(), u"RSA 3072"_s);
    QCOMPARE(leaf.keyUsage, QStringList({ u"digitalSignature"_s, u"keyEncipherment"_s }));
    QCOMPARE(leaf.signatureAlgorithm, u"sha256WithRSAEncryption"_s);

    request.outputFolder = file(u"rsa-weak"_s);
    request.rsaBits = 1024;
    QVERIFY(!CertificateGenerator::generate(request));

    // Refused before any key is made: a 10^6-bit key would take OpenSSL hours to fail.
    request.outputFolder = file(u"rsa-huge"_s);
    request.rsaBits = 1000000;
    const Result<GeneratedCertificates> huge = CertificateGenerator::generate(request);
    QVERIFY(!huge);
    QVERIFY2(huge.error().message.contains(u"16384"_s), qPrintable(huge.error().message));
    QVERIFY(!QFileInfo::exists(file(u"rsa-huge"_s)));
}

// CG-03 and the shape of names: what the generator refuses, with an explanation.
void tst_CertGenerator::hostRules_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<bool>("accepted");
    QTest::addColumn<QString>("explanation");

    QTest::newRow("localhost") << u"localhost"_s << true << QString();
    QTest::newRow("DNS name") << u"db-1.example.test"_s << true << QString();
    QTest::newRow("wildcard over two labels") << u"*.example.test"_s << true << QString();
    QTest::newRow("IPv4") << u"192.168.1.20"_s << true << QString();
    QTest::newRow("IPv6") << u"fd00::5"_s << true << QString();
    QTest::newRow("IPv6 in brackets") << u"[fd00::5]"_s << true << QString();
    QTest::newRow("*.test") << u"*.test"_s << false << u"two labels or more"_s;
    QTest::newRow("*.localhost") << u"*.localhost"_s << false << u"two labels or more"_s;
    QTest::newRow("partial wildcard") << u"a*.example.test"_s << false << u"partial"_s;
    QTest::newRow("inner wildcard") << u"a.*.example.test"_s << false << u"partial"_s;
    QTest::newRow("underscore") << u"db_1.example.test"_s << false << u"neither"_s;
    QTest::newRow("leading hyphen") << u"-db.example.test"_s << false << u"neither"_s;
    QTest::newRow("empty label") << u"db..example.test"_s << false << u"neither"_s;
    QTest::newRow("empty") << QString() << false << u"empty"_s;
    QTest::newRow("IPv4 part over 255") << u"300.1.1.1"_s << false << u"not an IP address"_s;
    QTest::newRow("IPv4 last part over 255") << u"10.0.0.256"_s << false << u"not an IP address"_s;
    QTest::newRow("digits in inner labels") << u"db.10.example.test"_s << true << QString();
}

void tst_CertGenerator::hostRules()
{
    QFETCH(QString, host);
    QFETCH(bool, accepted);
    QFETCH(QString, explanation);

    const Result<void> checked = checkHostForCertificate(host);
    QCOMPARE(checked.ok(), accepted);
    if (!accepted)
        QVERIFY2(
                checked.error().message.contains(explanation), qPrintable(checked.error().message));

    GenerateRequest request;
    request.hosts = { u"localhost"_s, host };
    request.outputFolder = file(u"rules"_s);
    QCOMPARE(CertificateGenerator::generate(request).ok(), accepted);
}

// CG-01 to CG-03: how a hostname Studio uses is matched against the generated leaf.
void tst_CertGenerator::matching_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<bool>("matches");
    QTest::addColumn<QString>("sentenceHolds");

    QTest::newRow("DNS name") << u"localhost"_s << true << QString();
    QTest::newRow("other case") << u"Studio.Example.TEST"_s << true << QString();
    QTest::newRow("trailing dot") << u"studio.example.test."_s << true << QString();
    QTest::newRow("wildcard, one label") << u"a.dev.example.test"_s << true << u"*.dev"_s;
    QTest::newRow("wildcard, two labels")
            << u"a.b.dev.example.test"_s << false << u"covers one label only"_s;
    QTest::newRow("wildcard base") << u"dev.example.test"_s << false << u"not a name"_s;
    QTest::newRow("IPv4 SAN") << u"10.0.0.5"_s << true << QString();
    QTest::newRow("IPv6 SAN") << u"0:0:0:0:0:0:0:1"_s << true << QString();
    QTest::newRow("IPv6 in brackets") << u"[::1]"_s << true << QString();
    QTest::newRow("other address") << u"10.0.0.6"_s << false << u"add IP:10.0.0.6"_s;
    QTest::newRow("other name") << u"db.example.test"_s << false << u"DNS:db.example.test"_s;
}

void tst_CertGenerator::matching()
{
    QFETCH(QString, host);
    QFETCH(bool, matches);
    QFETCH(QString, sentenceHolds);

    const HostMatch match = matchHost(m_leaf, host);
    QCOMPARE(match.matches, matches);
    QVERIFY2(match.sentence.contains(sentenceHolds), qPrintable(match.sentence));
}

// CG-02: an address written as a DNS name does not match, and the sentence says why. The
// subject CN does not count either (CG-01).
void tst_CertGenerator::addressWrittenAsDnsName()
{
    TestSupport::writeFile(file(u"dnsip.cnf"_s),
            "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = 10.0.0.7\n"
            "[ext]\nsubjectAltName = DNS:10.0.0.7, DNS:named.example.test\n");
    const QString failed = TestSupport::runOpenssl(m_dir.path(),
            u"req -x509 -config dnsip.cnf -extensions ext -newkey ec -pkeyopt "
            "ec_paramgen_curve:P-256 -nodes -keyout dnsip.key -out dnsip.pem -days 30"_s);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
    const CertificateInfo cert = onlyCertificate(file(u"dnsip.pem"_s));

    const HostMatch address = matchHost(cert, u"10.0.0.7"_s);
    QVERIFY(!address.matches);
    QVERIFY2(address.sentence.contains(u"listed as a DNS name"_s), qPrintable(address.sentence));

    const HostMatch byName = matchHost(cert, u"named.example.test"_s);
    QVERIFY(byName.matches);
}

// A second certificate from the same folder is signed by the same CA, so browsers that trust
// it need nothing new; the replaced files are kept as .bak, keys still private.
void tst_CertGenerator::reusesTheCa()
{
    GenerateRequest request;
    request.hosts = { u"second.example.test"_s };
    request.outputFolder = file(u"dev"_s);
    const Result<GeneratedCertificates> second = CertificateGenerator::generate(request);
    QVERIFY2(second, qPrintable(second ? QString() : second.error().message));
    QVERIFY(second->caReused);
    QCOMPARE(second->caFingerprint, m_files.caFingerprint);
    QCOMPARE(onlyCertificate(second->cert).issuer, m_ca.subject);
    QVERIFY(second->backups.contains(m_files.key + u".bak"_s));
    QCOMPARE(modeOf(m_files.key + u".bak"_s), mode_t(0600));
    QCOMPARE(onlyCertificate(m_files.cert + u".bak"_s).fingerprint, m_leaf.fingerprint);
}

void tst_CertGenerator::updatesTheConfig()
{
    const QString config = file(u"memsql.cnf"_s);
    const QByteArray original =
            "# the engine's settings\n[server]\nhttps_proxy_port = 8443\nssl_cert = old.pem\n";
    TestSupport::writeFile(config, original);
    const Result<QList<ConfigUpdate>> updates = CertificateGenerator::useInConfig(config, m_files);
    QVERIFY2(updates, qPrintable(updates ? QString() : updates.error().message));
    QCOMPARE(updates->size(), 2);

    const Result<ConfigFile> read = ConfigFile::read(config);
    QVERIFY(read);
    QCOMPARE(read->find(u"ssl_cert"_s)->value, m_files.cert);
    QCOMPARE(read->find(u"ssl_key"_s)->value, m_files.key);
    QCOMPARE(read->find(u"https_proxy_port"_s)->value, u"8443"_s);
    // One edit, one backup: the file as it was before it.
    QFile backup(config + u".bak"_s);
    QVERIFY(backup.open(QIODevice::ReadOnly));
    QCOMPARE(backup.readAll(), original);
}

QTEST_GUILESS_MAIN(tst_CertGenerator)
#include "tst_certgenerator.moc"

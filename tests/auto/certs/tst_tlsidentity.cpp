#include "certs/tlsidentity.h"
#include "testsupport/testsupport.h"

#include <QFile>
#include <QSignalSpy>
#include <QSslServer>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

Q_DECLARE_METATYPE(StudioProxy::ErrorCode)

// TlsIdentity with real certificates made by the openssl command line: a root CA, an
// intermediate CA and leaves for localhost signed by the intermediate, as an admin would
// get them from a CA (or from memsqlctl) and name them in ssl_cert, ssl_key and ssl_ca.
class tst_TlsIdentity : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void chain_data();
    void chain();
    void keyMismatch_data();
    void keyMismatch();
    void encryptedKey();
    void passphraseFile_data();
    void passphraseFile();
    void unreadable_data();
    void unreadable();
    void validity_data();
    void validity();
    void fingerprint_data();
    void fingerprint();
    void serverConfiguration();
    void handshake();

private:
    QString file(const QString &name) const { return m_dir.filePath(name); }

    QSslCertificate certificate(const QString &name) const;
    bool openssl(const QString &commandLine, QByteArray *output = nullptr);
    bool concatenate(const QString &target, const QStringList &parts);

    QTemporaryDir m_dir;
    QString m_lastError;
};

// The extensions a CA would put in: CA certificates that may sign, and server leaves for
// localhost. The [ca] part is for `openssl ca`, which signs with chosen dates.
static const char OpenSslConfig[] = R"(
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
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca]
default_ca = dated
[dated]
database = index.txt
serial = serial.txt
new_certs_dir = .
default_md = sha256
policy = any_name
unique_subject = no
[any_name]
commonName = supplied
)";

// Runs one openssl command line in the test folder; m_lastError says why when it fails.
bool tst_TlsIdentity::openssl(const QString &commandLine, QByteArray *output)
{
    m_lastError = TestSupport::runOpenssl(m_dir.path(), commandLine, output);
    return m_lastError.isEmpty();
}

bool tst_TlsIdentity::concatenate(const QString &target, const QStringList &parts)
{
    QByteArray pem;
    for (const QString &part : parts) {
        QFile in(file(part));
        if (!in.open(QIODevice::ReadOnly)) {
            m_lastError = u"cannot read %1"_s.arg(in.fileName());
            return false;
        }
        pem += in.readAll();
    }
    QFile out(file(target));
    if (!out.open(QIODevice::WriteOnly) || out.write(pem) != pem.size()) {
        m_lastError = u"cannot write %1"_s.arg(out.fileName());
        return false;
    }
    return true;
}

QSslCertificate tst_TlsIdentity::certificate(const QString &name) const
{
    QFile in(file(name));
    return in.open(QIODevice::ReadOnly) ? QSslCertificate(in.readAll(), QSsl::Pem)
                                        : QSslCertificate();
}

static QString ecKey(const QString &out)
{
    return u"genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %1"_s.arg(out);
}

static QString request(const QString &key, const QString &commonName, const QString &out)
{
    return u"req -config openssl.cnf -new -key %1 -subj \"/CN=%2\" -out %3"_s.arg(
            key, commonName, out);
}

static QString sign(const QString &request,
        const QString &issuer,
        const QString &extensions,
        int serial,
        const QString &out)
{
    return u"x509 -req -in %1 -CA %2.pem -CAkey %2.key -set_serial %3 -days 825 -sha256 "
           "-extfile openssl.cnf -extensions %4 -out %5"_s.arg(
                   request, issuer, QString::number(serial), extensions, out);
}

// OpenSSL 3.0's x509 command cannot choose the dates; its ca command can.
static QString signDated(const QString &start, const QString &end, const QString &out)
{
    return u"ca -config openssl.cnf -batch -notext -cert intermediate.pem -keyfile "
           "intermediate.key -startdate %1 -enddate %2 -extfile openssl.cnf -extensions leaf_ext "
           "-in leaf-ec.csr -out %3"_s.arg(start, end, out);
}

void tst_TlsIdentity::initTestCase()
{
    QVERIFY2(m_dir.isValid(), qPrintable(m_dir.errorString()));
    if (!QSslSocket::supportsSsl())
        QSKIP("Qt has no TLS backend here; TlsIdentity::load reports TlsUnavailable");
    if (QStandardPaths::findExecutable(u"openssl"_s).isEmpty())
        QSKIP("the openssl command line is needed to make the test certificates");

    QByteArray version;
    QVERIFY2(openssl(u"version"_s, &version), qPrintable(m_lastError));
    qInfo("certificates made by %s", version.trimmed().constData());

    TestSupport::writeFile(file(u"openssl.cnf"_s), OpenSslConfig);
    QVERIFY2(concatenate(u"index.txt"_s, {}), qPrintable(m_lastError));
    TestSupport::writeFile(file(u"serial.txt"_s), "10\n");

    const QStringList commands = {
        // A root CA and an intermediate CA.
        ecKey(u"root.key"_s),
        u"req -config openssl.cnf -new -x509 -key root.key -subj \"/CN=Studio Proxy Test Root\" "
        "-days 3650 -extensions ca_ext -out root.pem"_s,
        ecKey(u"intermediate.key"_s),
        request(u"intermediate.key"_s, u"Studio Proxy Test Intermediate"_s, u"int.csr"_s),
        sign(u"int.csr"_s, u"root"_s, u"ca_ext"_s, 2, u"intermediate.pem"_s),

        // Leaves for localhost, EC P-256 and RSA 2048, and a key that belongs to neither.
        ecKey(u"leaf-ec.key"_s),
        request(u"leaf-ec.key"_s, u"localhost"_s, u"leaf-ec.csr"_s),
        sign(u"leaf-ec.csr"_s, u"intermediate"_s, u"leaf_ext"_s, 3, u"leaf-ec.pem"_s),
        u"genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf-rsa.key"_s,
        request(u"leaf-rsa.key"_s, u"localhost"_s, u"leaf-rsa.csr"_s),
        sign(u"leaf-rsa.csr"_s, u"intermediate"_s, u"leaf_ext"_s, 4, u"leaf-rsa.pem"_s),
        ecKey(u"other.key"_s),

        // The EC leaf's key with a passphrase, and certificates for it that expired in 2020
        // and that start in 2099.
        u"pkcs8 -topk8 -v2 aes-256-cbc -in leaf-ec.key -out leaf-ec-passphrase.key "
        "-passout pass:x"_s,
        signDated(u"20200101000000Z"_s, u"20200201000000Z"_s, u"expired.pem"_s),
        signDated(u"20990101000000Z"_s, u"20991231000000Z"_s, u"future.pem"_s),

        // The openssl command line agrees that the chains are sound.
        u"verify -CAfile root.pem -untrusted intermediate.pem leaf-ec.pem leaf-rsa.pem"_s,
    };
    for (const QString &command : commands)
        QVERIFY2(openssl(command), qPrintable(m_lastError));

    // The files an admin names in ssl_cert, ssl_key and ssl_ca.
    struct Bundle
    {
        QString file;
        QStringList parts;
    };

    const Bundle bundles[] = {
        { u"fullchain-ec.pem"_s, { u"leaf-ec.pem"_s, u"intermediate.pem"_s } },
        { u"fullchain-rsa.pem"_s, { u"leaf-rsa.pem"_s, u"intermediate.pem"_s } },
        { u"reversed-ec.pem"_s, { u"intermediate.pem"_s, u"leaf-ec.pem"_s } },
        { u"with-root-ec.pem"_s, { u"root.pem"_s, u"leaf-ec.pem"_s, u"intermediate.pem"_s } },
        { u"ca-bundle.pem"_s, { u"root.pem"_s, u"intermediate.pem"_s } },
        { u"key-first-ec.pem"_s, { u"leaf-ec.key"_s, u"leaf-ec.pem"_s, u"intermediate.pem"_s } },
        { u"key-last-ec.pem"_s, { u"leaf-ec.pem"_s, u"intermediate.pem"_s, u"leaf-ec.key"_s } },
        { u"empty.pem"_s, {} },
    };
    for (const Bundle &bundle : bundles)
        QVERIFY2(concatenate(bundle.file, bundle.parts), qPrintable(m_lastError));
}

void tst_TlsIdentity::chain_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("ca");
    QTest::addColumn<QStringList>("served");

    const QStringList ecChain = { u"leaf-ec.pem"_s, u"intermediate.pem"_s };

    QTest::newRow("EC leaf, then intermediate")
            << u"fullchain-ec.pem"_s << u"leaf-ec.key"_s << QString() << ecChain;
    QTest::newRow("RSA leaf, then intermediate")
            << u"fullchain-rsa.pem"_s << u"leaf-rsa.key"_s << QString()
            << QStringList { u"leaf-rsa.pem"_s, u"intermediate.pem"_s };
    QTest::newRow("intermediate first")
            << u"reversed-ec.pem"_s << u"leaf-ec.key"_s << QString() << ecChain;
    QTest::newRow("root in ssl_cert is not served")
            << u"with-root-ec.pem"_s << u"leaf-ec.key"_s << QString() << ecChain;
    QTest::newRow("intermediate taken from ssl_ca")
            << u"leaf-ec.pem"_s << u"leaf-ec.key"_s << u"ca-bundle.pem"_s << ecChain;
    QTest::newRow("ssl_ca without the intermediate")
            << u"leaf-ec.pem"_s << u"leaf-ec.key"_s << u"root.pem"_s
            << QStringList { u"leaf-ec.pem"_s };
    QTest::newRow("full chain and ssl_ca")
            << u"fullchain-ec.pem"_s << u"leaf-ec.key"_s << u"ca-bundle.pem"_s << ecChain;
    // One file for ssl_cert and ssl_key, as some tools write it.
    QTest::newRow("key, then chain, in one file")
            << u"key-first-ec.pem"_s << u"key-first-ec.pem"_s << QString() << ecChain;
    QTest::newRow("chain, then key, in one file")
            << u"key-last-ec.pem"_s << u"key-last-ec.pem"_s << QString() << ecChain;
    QTest::newRow("leaf alone") << u"leaf-ec.pem"_s << u"leaf-ec.key"_s << QString()
                                << QStringList { u"leaf-ec.pem"_s };
}

void tst_TlsIdentity::chain()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, ca);
    QFETCH(QStringList, served);

    const Result<TlsIdentity> identity =
            TlsIdentity::load(file(cert), file(key), ca.isEmpty() ? QString() : file(ca));
    QVERIFY2(identity, qPrintable(identity.ok() ? QString() : identity.error().message));

    QList<QSslCertificate> expected;
    for (const QString &name : std::as_const(served))
        expected << certificate(name);
    QCOMPARE(identity->chain(), expected);
    QCOMPARE(identity->certPath(), file(cert));
    QVERIFY(!identity->key().isNull());
    QCOMPARE(identity->key().type(), QSsl::PrivateKey);
    QCOMPARE(identity->key().algorithm(), key.contains(u"rsa"_s) ? QSsl::Rsa : QSsl::Ec);
    QVERIFY2(identity->warnings().isEmpty(), qPrintable(identity->warnings().join(u'\n')));
}

void tst_TlsIdentity::keyMismatch_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");

    QTest::newRow("another EC key") << u"fullchain-ec.pem"_s << u"other.key"_s;
    QTest::newRow("the RSA leaf's key") << u"fullchain-ec.pem"_s << u"leaf-rsa.key"_s;
    // ssl_cert holds the intermediate too, but a CA certificate is no server certificate:
    // with it as the leaf, every browser refuses the connection.
    QTest::newRow("the intermediate's key") << u"fullchain-ec.pem"_s << u"intermediate.key"_s;
    QTest::newRow("the root's key") << u"with-root-ec.pem"_s << u"root.key"_s;
}

void tst_TlsIdentity::keyMismatch()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);

    const Result<TlsIdentity> identity = TlsIdentity::load(file(cert), file(key));
    QVERIFY2(!identity, "the leaf was served with a key that is not its own");

    QCOMPARE(identity.error().code, ErrorCode::KeyMismatch);
    QVERIFY2(identity.error().message.contains(file(cert)), qPrintable(identity.error().message));
    QVERIFY2(identity.error().message.contains(file(key)), qPrintable(identity.error().message));
}

void tst_TlsIdentity::encryptedKey()
{
    // OpenSSL's default passphrase callback prompts on the terminal and waits: a service would
    // hang at startup. Load on a thread so that this test fails instead of hanging too.
    std::promise<Result<TlsIdentity>> promise;
    std::future<Result<TlsIdentity>> future = promise.get_future();
    const QString cert = file(u"fullchain-ec.pem"_s);
    const QString key = file(u"leaf-ec-passphrase.key"_s);
    std::thread([promise = std::move(promise), cert, key]() mutable {
        promise.set_value(TlsIdentity::load(cert, key));
    }).detach();
    if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready)
        QFAIL("TlsIdentity::load is still waiting after 20 s, probably for a passphrase");

    const Result<TlsIdentity> identity = future.get();
    QVERIFY2(!identity, "an encrypted key loaded without a passphrase");
    QCOMPARE(identity.error().code, ErrorCode::KeyUnreadable);
    QVERIFY2(identity.error().message.contains(key), qPrintable(identity.error().message));
    QVERIFY2(identity.error().message.contains(u"encrypted"_s),
            qPrintable(identity.error().message));
}

// TL-01: the key starts the proxy only with the right passphrase, read from a file.
void tst_TlsIdentity::passphraseFile_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<bool>("loads");
    QTest::addColumn<QString>("message");

    QTest::newRow("right, with a newline") << "x\n"_ba << true << QString();
    QTest::newRow("right, CRLF") << "x\r\n"_ba << true << QString();
    QTest::newRow("wrong") << "y\n"_ba << false << u"cannot be decrypted with the passphrase"_s;
    QTest::newRow("empty") << QByteArray() << false << u"cannot be decrypted"_s;
    QTest::newRow("missing file") << QByteArray("(none)") << false
                                  << u"cannot read ssl_key_passphrase_file"_s;
}

void tst_TlsIdentity::passphraseFile()
{
    QFETCH(QByteArray, content);
    QFETCH(bool, loads);
    QFETCH(QString, message);

    const QString passphrase = file(u"passphrase.txt"_s);
    QFile::remove(passphrase);
    if (content != "(none)")
        TestSupport::writeFile(passphrase, content);
    const QString key = file(u"leaf-ec-passphrase.key"_s);
    const Result<TlsIdentity> identity =
            TlsIdentity::load(file(u"fullchain-ec.pem"_s), key, QString(), passphrase);
    QCOMPARE(identity.ok(), loads);
    if (loads) {
        QCOMPARE(identity->chain().front().subjectInfo(QSslCertificate::CommonName),
                QStringList { u"localhost"_s });
        return;
    }
    QCOMPARE(identity.error().code, ErrorCode::KeyUnreadable);
    QVERIFY2(identity.error().message.contains(message), qPrintable(identity.error().message));
    QVERIFY2(identity.error().message.contains(passphrase), qPrintable(identity.error().message));
}

void tst_TlsIdentity::unreadable_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("ca");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("faulty");

    const QString cert = u"fullchain-ec.pem"_s;
    const QString key = u"leaf-ec.key"_s;

    QTest::newRow("missing ssl_cert") << u"missing.pem"_s << key << QString()
                                      << ErrorCode::CertificateUnreadable << u"missing.pem"_s;
    QTest::newRow("empty ssl_cert") << u"empty.pem"_s << key << QString()
                                    << ErrorCode::CertificateUnreadable << u"empty.pem"_s;
    QTest::newRow("ssl_cert holds a key") << u"leaf-ec.key"_s << key << QString()
                                          << ErrorCode::CertificateUnreadable << u"leaf-ec.key"_s;
    QTest::newRow("ssl_cert is a folder")
            << u"."_s << key << QString() << ErrorCode::CertificateUnreadable << u"."_s;
    QTest::newRow("missing ssl_key") << cert << u"missing.key"_s << QString()
                                     << ErrorCode::KeyUnreadable << u"missing.key"_s;
    QTest::newRow("empty ssl_key")
            << cert << u"empty.pem"_s << QString() << ErrorCode::KeyUnreadable << u"empty.pem"_s;
    QTest::newRow("ssl_key holds a certificate") << cert << u"leaf-ec.pem"_s << QString()
                                                 << ErrorCode::KeyUnreadable << u"leaf-ec.pem"_s;
    QTest::newRow("missing ssl_ca") << cert << key << u"missing-ca.pem"_s
                                    << ErrorCode::CertificateUnreadable << u"missing-ca.pem"_s;
    QTest::newRow("empty ssl_ca") << cert << key << u"empty.pem"_s
                                  << ErrorCode::CertificateUnreadable << u"empty.pem"_s;
}

void tst_TlsIdentity::unreadable()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, ca);
    QFETCH(ErrorCode, code);
    QFETCH(QString, faulty);

    const Result<TlsIdentity> identity =
            TlsIdentity::load(file(cert), file(key), ca.isEmpty() ? QString() : file(ca));
    QVERIFY2(!identity, "loaded");

    QCOMPARE(identity.error().code, code);
    QVERIFY2(identity.error().message.contains(file(faulty)), qPrintable(identity.error().message));
}

void tst_TlsIdentity::validity_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QDateTime>("now");
    QTest::addColumn<QStringList>("warning");

    const QDateTime today = QDateTime::currentDateTimeUtc();

    QTest::newRow("valid") << u"leaf-ec.pem"_s << today << QStringList();
    QTest::newRow("expired in 2020")
            << u"expired.pem"_s << today << QStringList { u"expired"_s, u"2020-02-01"_s };
    QTest::newRow("valid from 2099")
            << u"future.pem"_s << today << QStringList { u"valid"_s, u"2099-01-01"_s };
    QTest::newRow("valid today, expired in 3 years")
            << u"leaf-ec.pem"_s << today.addYears(3) << QStringList { u"expired"_s };
}

void tst_TlsIdentity::validity()
{
    QFETCH(QString, cert);
    QFETCH(QDateTime, now);
    QFETCH(QStringList, warning);

    // Dates do not stop the proxy (the admin may be replacing the file right now), but the
    // admin must be told: browsers refuse such a certificate.
    const Result<TlsIdentity> identity = TlsIdentity::load(file(cert), file(u"leaf-ec.key"_s));
    QVERIFY2(identity, qPrintable(identity.ok() ? QString() : identity.error().message));

    const QStringList warnings = identity->warnings(now);
    if (warning.isEmpty()) {
        QVERIFY2(warnings.isEmpty(), qPrintable(warnings.join(u'\n')));
        return;
    }
    QCOMPARE(warnings.size(), 1);
    for (const QString &mention : std::as_const(warning))
        QVERIFY2(warnings.constFirst().contains(mention), qPrintable(warnings.constFirst()));
    QVERIFY2(warnings.constFirst().contains(file(cert)), qPrintable(warnings.constFirst()));
}

void tst_TlsIdentity::fingerprint_data()
{
    QTest::addColumn<QString>("cert");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("leaf");

    QTest::newRow("EC") << u"fullchain-ec.pem"_s << u"leaf-ec.key"_s << u"leaf-ec.pem"_s;
    QTest::newRow("RSA") << u"fullchain-rsa.pem"_s << u"leaf-rsa.key"_s << u"leaf-rsa.pem"_s;
    QTest::newRow("intermediate first")
            << u"reversed-ec.pem"_s << u"leaf-ec.key"_s << u"leaf-ec.pem"_s;
}

void tst_TlsIdentity::fingerprint()
{
    QFETCH(QString, cert);
    QFETCH(QString, key);
    QFETCH(QString, leaf);

    const Result<TlsIdentity> identity = TlsIdentity::load(file(cert), file(key));
    QVERIFY2(identity, qPrintable(identity.ok() ? QString() : identity.error().message));

    // What the admin compares it with: the leaf's fingerprint as openssl prints it, for
    // example "sha256 Fingerprint=63:2A:...".
    QByteArray printed;
    QVERIFY2(openssl(u"x509 -noout -fingerprint -sha256 -in "_s + leaf, &printed),
            qPrintable(m_lastError));
    const QString expected = QString::fromLatin1(printed).section(u'=', 1).trimmed();
    QVERIFY2(expected.size() == 95, printed.constData()); // 32 bytes: 64 digits, 31 colons
    QCOMPARE(identity->fingerprint().toUpper(), expected.toUpper());
}

void tst_TlsIdentity::serverConfiguration()
{
    const Result<TlsIdentity> identity =
            TlsIdentity::load(file(u"fullchain-ec.pem"_s), file(u"leaf-ec.key"_s));
    QVERIFY2(identity, qPrintable(identity.ok() ? QString() : identity.error().message));

    const QSslConfiguration configuration = identity->serverConfiguration();
    const QSsl::SslProtocol protocol = configuration.protocol();
    QVERIFY2(protocol == QSsl::TlsV1_2OrLater || protocol == QSsl::TlsV1_3OrLater
                    || protocol == QSsl::TlsV1_3,
            qPrintable(u"protocol %1 allows versions before TLS 1.2"_s.arg(int(protocol))));
    QCOMPARE(configuration.localCertificateChain(), identity->chain());
    QCOMPARE(configuration.localCertificate(), certificate(u"leaf-ec.pem"_s));
    QCOMPARE(configuration.privateKey(), identity->key());
    QCOMPARE(configuration.peerVerifyMode(), QSslSocket::VerifyNone);
}

void tst_TlsIdentity::handshake()
{
    // A client that trusts only the root accepts what is served: the leaf for localhost and
    // the intermediate it needs, even though ssl_cert lists them the other way round.
    const Result<TlsIdentity> identity =
            TlsIdentity::load(file(u"reversed-ec.pem"_s), file(u"leaf-ec.key"_s));
    QVERIFY2(identity, qPrintable(identity.ok() ? QString() : identity.error().message));

    QSslServer server;
    server.setSslConfiguration(identity->serverConfiguration());
    QVERIFY2(server.listen(QHostAddress::LocalHost), qPrintable(server.errorString()));

    QSslSocket client;
    QSslConfiguration trust = QSslConfiguration::defaultConfiguration();
    trust.setCaCertificates({ certificate(u"root.pem"_s) });
    trust.setPeerVerifyMode(QSslSocket::VerifyPeer);
    client.setSslConfiguration(trust);
    QList<QSslError> errors;
    connect(&client, &QSslSocket::sslErrors, this, [&errors](const QList<QSslError> &found) {
        errors += found;
    });
    QSignalSpy encrypted(&client, &QSslSocket::encrypted);

    client.connectToHostEncrypted(u"127.0.0.1"_s, server.serverPort(), u"localhost"_s);
    const bool done = encrypted.wait(10000);

    QStringList problems;
    for (const QSslError &error : std::as_const(errors))
        problems << error.errorString();
    QVERIFY2(errors.isEmpty(), qPrintable(problems.join(u"; "_s)));
    QVERIFY2(done, qPrintable(client.errorString()));
    const QList<QSslCertificate> served = client.peerCertificateChain();
    QVERIFY(!served.isEmpty());
    QCOMPARE(served.constFirst(), certificate(u"leaf-ec.pem"_s));
    QVERIFY(served.contains(certificate(u"intermediate.pem"_s)));
    const QSsl::SslProtocol negotiated = client.sessionProtocol();
    QVERIFY2(negotiated == QSsl::TlsV1_2 || negotiated == QSsl::TlsV1_3,
            qPrintable(u"negotiated protocol %1"_s.arg(int(negotiated))));
}

QTEST_GUILESS_MAIN(tst_TlsIdentity)
#include "tst_tlsidentity.moc"

#include "certs/certgenerator.h"

#include "certs/hostnames.h"
#include "certs/opensslsupport.h"
#include "config/configeditor.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QHostInfo>
#include <QSaveFile>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

using namespace OpenSsl;

namespace {

constexpr qint64 ClockSkewSeconds = 3600;

Error failure(const QString &what)
{
    return Error { ErrorCode::CertificateUnreadable, u"%1: %2"_s.arg(what, lastError()) };
}

Result<PkeyPtr> makeKey(const GenerateRequest &request)
{
    EVP_PKEY *key = request.algorithm == KeyAlgorithm::Rsa
            ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(request.rsaBits))
            : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (!key)
        return failure(u"cannot make a key"_s);
    return PkeyPtr(key);
}

bool setRandomSerial(X509 *cert)
{
    // RFC 5280 section 4.1.2.2: positive, at most 20 octets; random so that no two of our
    // certificates share issuer and serial (NSS refuses such a pair).
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return false;
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    BIGNUM *number = BN_bin2bn(bytes, sizeof bytes, nullptr);
    const bool ok = number && BN_to_ASN1_INTEGER(number, X509_get_serialNumber(cert));
    BN_free(number);
    return ok;
}

bool addExtension(X509 *cert, X509V3_CTX *context, int nid, const QString &value)
{
    X509_EXTENSION *extension =
            X509V3_EXT_conf_nid(nullptr, context, nid, value.toLatin1().constData());
    if (!extension)
        return false;
    const bool ok = X509_add_ext(cert, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    return ok;
}

bool setName(X509_NAME *name, const QString &commonName, const QString &unit)
{
    const QByteArray cn = commonName.toUtf8();
    const QByteArray ou = unit.toUtf8();
    return X509_NAME_add_entry_by_txt(name,
                   "O",
                   MBSTRING_UTF8,
                   reinterpret_cast<const unsigned char *>("Studio Proxy"),
                   -1,
                   -1,
                   0)
            && (ou.isEmpty()
                    || X509_NAME_add_entry_by_txt(name,
                            "OU",
                            MBSTRING_UTF8,
                            reinterpret_cast<const unsigned char *>(ou.constData()),
                            -1,
                            -1,
                            0))
            && X509_NAME_add_entry_by_txt(name,
                    "CN",
                    MBSTRING_UTF8,
                    reinterpret_cast<const unsigned char *>(cn.constData()),
                    -1,
                    -1,
                    0);
}

struct CertificateSpec
{
    X509_NAME *subject = nullptr;
    X509 *issuer = nullptr; // null: self-signed
    EVP_PKEY *issuerKey = nullptr;
    EVP_PKEY *key = nullptr;
    QDateTime notBefore;
    QDateTime notAfter;
    QList<std::pair<int, QString>> extensions;
};

Result<X509Ptr> makeCertificate(const CertificateSpec &spec)
{
    X509Ptr cert(X509_new());
    X509 *issuer = spec.issuer ? spec.issuer : cert.get();
    const bool ok = X509_set_version(cert.get(), X509_VERSION_3) && setRandomSerial(cert.get())
            && X509_set_subject_name(cert.get(), spec.subject)
            && X509_set_issuer_name(
                    cert.get(), spec.issuer ? X509_get_subject_name(spec.issuer) : spec.subject)
            && ASN1_TIME_set(X509_getm_notBefore(cert.get()), spec.notBefore.toSecsSinceEpoch())
            && ASN1_TIME_set(X509_getm_notAfter(cert.get()), spec.notAfter.toSecsSinceEpoch())
            && X509_set_pubkey(cert.get(), spec.key);
    if (!ok)
        return failure(u"cannot fill in a certificate"_s);

    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, cert.get(), nullptr, nullptr, 0);
    for (const auto &[nid, value] : spec.extensions) {
        if (!addExtension(cert.get(), &context, nid, value))
            return failure(u"cannot add the extension %1 = %2"_s.arg(
                    QString::fromLatin1(OBJ_nid2sn(nid)), value));
    }
    if (X509_sign(cert.get(), spec.issuerKey, EVP_sha256()) <= 0)
        return failure(u"cannot sign a certificate"_s);
    return cert;
}

QByteArray keyPem(EVP_PKEY *key)
{
    BioPtr out(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    char *data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    QByteArray pem(data, size);
    OPENSSL_cleanse(data, size_t(size));
    return pem;
}

// Atomically, keeping what it replaces as <file>.bak (with the same protection for keys).
Result<void> writeFile(
        const QString &path, const QByteArray &content, bool secret, QStringList &backups)
{
    const QFileDevice::Permissions mode = secret ? QFileDevice::ReadOwner | QFileDevice::WriteOwner
                                                 : QFileDevice::ReadOwner | QFileDevice::WriteOwner
                    | QFileDevice::ReadGroup | QFileDevice::ReadOther;
    if (QFileInfo::exists(path)) {
        const QString backup = path + u".bak"_s;
        QFile::remove(backup);
        if (!QFile::copy(path, backup) || !QFile::setPermissions(backup, mode)) {
            return Error { ErrorCode::ConfigUnwritable,
                u"cannot keep the previous %1 as %2"_s.arg(path, backup) };
        }
        backups << backup;
    }
    QSaveFile file(path);
    // The permissions go on the temporary file before the key does.
    if (!file.open(QIODevice::WriteOnly) || !file.setPermissions(mode)
            || file.write(content) != content.size() || !file.commit()) {
        return Error { ErrorCode::ConfigUnwritable,
            u"cannot write %1: %2"_s.arg(path, file.errorString()) };
    }
    return {};
}

// A CA already in the folder is used again: browsers that trust it keep trusting what it
// signs, so making a certificate for another host needs no new trust steps.
Result<std::pair<X509Ptr, PkeyPtr>> existingCa(const QString &certPath, const QString &keyPath)
{
    Result<std::vector<X509Ptr>> certificates = readCertificates(certPath, u"CA certificate"_s);
    if (!certificates)
        return certificates.error();
    Result<PkeyPtr> key = readPrivateKey(keyPath, {});
    if (!key)
        return key.error();
    X509Ptr cert = std::move(certificates.value().front());
    if (X509_check_private_key(cert.get(), key.value().get()) != 1
            || X509_check_ca(cert.get()) == 0) {
        ERR_clear_error();
        return Error { ErrorCode::KeyMismatch,
            u"%1 and %2 are not a CA certificate and its key; move them away to make a new "
            "CA"_s.arg(certPath, keyPath) };
    }
    return std::pair<X509Ptr, PkeyPtr>(std::move(cert), std::move(key.value()));
}

QString caUnit(const QDateTime &now)
{
    return u"%1@%2 %3"_s.arg(qEnvironmentVariable("USER", u"user"_s),
            QHostInfo::localHostName(),
            now.date().toString(Qt::ISODate));
}

} // namespace

Result<GeneratedCertificates> CertificateGenerator::generate(const GenerateRequest &request)
{
    if (request.hosts.isEmpty())
        return Error { ErrorCode::InvalidValue, u"name at least one host (--host NAME)"_s };
    for (const QString &host : request.hosts) {
        if (Result<void> checked = checkHostForCertificate(host); !checked)
            return checked.error();
    }
    if (request.leafDays < 1 || request.leafDays > GenerateRequest::MaxLeafDays) {
        return Error { ErrorCode::InvalidValue,
            u"a server certificate may be valid for 1 to %1 days (Apple's platforms refuse "
            "longer ones), not %2"_s.arg(GenerateRequest::MaxLeafDays)
                    .arg(request.leafDays) };
    }
    if (request.algorithm == KeyAlgorithm::Rsa && request.rsaBits < 2048) {
        return Error { ErrorCode::InvalidValue,
            u"RSA keys need 2048 bits or more; %1 is too weak"_s.arg(request.rsaBits) };
    }
    if (request.algorithm == KeyAlgorithm::Rsa && request.rsaBits > GenerateRequest::MaxRsaBits) {
        return Error { ErrorCode::InvalidValue,
            u"RSA keys of more than %1 bits cannot be made (OpenSSL's limit); 2048 to 4096 is "
            "usual, not %2"_s.arg(GenerateRequest::MaxRsaBits)
                    .arg(request.rsaBits) };
    }
    const QDir folder(request.outputFolder);
    if (!folder.mkpath(u"."_s)) {
        return Error { ErrorCode::ConfigUnwritable,
            u"cannot create the folder %1"_s.arg(request.outputFolder) };
    }

    const QDateTime now =
            request.now.isValid() ? request.now.toUTC() : QDateTime::currentDateTimeUtc();
    GeneratedCertificates files;
    files.caCert = folder.absoluteFilePath(u"ca.pem"_s);
    files.caCrt = folder.absoluteFilePath(u"ca.crt"_s);
    files.caDer = folder.absoluteFilePath(u"ca.der"_s);
    files.caKey = folder.absoluteFilePath(u"ca.key"_s);
    files.cert = folder.absoluteFilePath(u"server.pem"_s);
    files.key = folder.absoluteFilePath(u"server.key"_s);

    X509Ptr ca;
    PkeyPtr caKey;
    if (QFileInfo::exists(files.caCert) && QFileInfo::exists(files.caKey)) {
        Result<std::pair<X509Ptr, PkeyPtr>> existing = existingCa(files.caCert, files.caKey);
        if (!existing)
            return existing.error();
        ca = std::move(existing.value().first);
        caKey = std::move(existing.value().second);
        files.caReused = true;
    } else {
        Result<PkeyPtr> key = makeKey(request);
        if (!key)
            return key.error();
        caKey = std::move(key.value());
        X509_NAME *subject = X509_NAME_new();
        setName(subject, QString::fromLatin1(CaName), caUnit(now));
        CertificateSpec spec;
        spec.subject = subject;
        spec.key = caKey.get();
        spec.issuerKey = caKey.get();
        spec.notBefore = now.addSecs(-ClockSkewSeconds);
        spec.notAfter = now.addDays(request.caDays);
        spec.extensions = { { NID_basic_constraints, u"critical,CA:TRUE,pathlen:0"_s },
            { NID_key_usage, u"critical,keyCertSign,cRLSign"_s },
            { NID_subject_key_identifier, u"hash"_s } };
        Result<X509Ptr> made = makeCertificate(spec);
        X509_NAME_free(subject);
        if (!made)
            return made.error();
        ca = std::move(made.value());
    }
    files.caFingerprint = fingerprint(ca.get());

    Result<PkeyPtr> leafKey = makeKey(request);
    if (!leafKey)
        return leafKey.error();
    QStringList names;
    for (const QString &host : request.hosts) {
        names << (isIpAddress(host) ? u"IP:"_s
                                + QHostAddress(
                                        host.startsWith(u'[') ? host.mid(1, host.size() - 2) : host)
                                          .toString()
                                    : u"DNS:"_s + host.toLower());
    }
    X509_NAME *subject = X509_NAME_new();
    setName(subject, request.hosts.constFirst(), QString());
    CertificateSpec spec;
    spec.subject = subject;
    spec.issuer = ca.get();
    spec.issuerKey = caKey.get();
    spec.key = leafKey.value().get();
    spec.notBefore = now.addSecs(-ClockSkewSeconds);
    spec.notAfter = now.addDays(request.leafDays);
    spec.extensions = { { NID_basic_constraints, u"critical,CA:FALSE"_s },
        { NID_key_usage,
                request.algorithm == KeyAlgorithm::Rsa
                        ? u"critical,digitalSignature,keyEncipherment"_s
                        : u"critical,digitalSignature"_s },
        { NID_ext_key_usage, u"serverAuth"_s },
        { NID_subject_alt_name, names.join(u',') },
        { NID_subject_key_identifier, u"hash"_s },
        { NID_authority_key_identifier, u"keyid:always"_s } };
    Result<X509Ptr> leaf = makeCertificate(spec);
    X509_NAME_free(subject);
    if (!leaf)
        return leaf.error();

    if (!files.caReused) {
        QByteArray secret = keyPem(caKey.get());
        const Result<void> written = writeFile(files.caKey, secret, true, files.backups);
        secret.fill('\0');
        if (!written)
            return written.error();
        for (const QString &path : { files.caCert, files.caCrt }) {
            if (Result<void> w = writeFile(path, toPem(ca.get()), false, files.backups); !w)
                return w.error();
        }
    }
    if (Result<void> w = writeFile(files.caDer, toDer(ca.get()), false, files.backups); !w)
        return w.error();
    QByteArray secret = keyPem(leafKey.value().get());
    const Result<void> written = writeFile(files.key, secret, true, files.backups);
    secret.fill('\0');
    if (!written)
        return written.error();
    if (Result<void> w = writeFile(files.cert, toPem(leaf.value().get()), false, files.backups); !w)
        return w.error();
    return files;
}

Result<QList<ConfigUpdate>> CertificateGenerator::useInConfig(
        const QString &configPath, const GeneratedCertificates &generated)
{
    // Not ssl_ca: the engine reads it too (to verify client certificates), and a chain that
    // ends at the development CA gets its own advice from the checks.
    return ConfigEditor::updateAll(
            configPath, { { u"ssl_cert"_s, generated.cert }, { u"ssl_key"_s, generated.key } });
}

} // namespace StudioProxy

#include "certs/tlsidentity.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSslSocket>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include <memory>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

struct BioFree
{
    void operator()(BIO *bio) const { BIO_free(bio); }
};

struct X509Free
{
    void operator()(X509 *cert) const { X509_free(cert); }
};

struct PkeyFree
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};

using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

QString lastOpenSslError()
{
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0)
        return u"no PEM data found"_s;
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return QString::fromLatin1(text);
}

// What OpenSSL's passphrase callback works with.
struct Passphrase
{
    QByteArray text; // empty: none configured
    bool asked = false;
};

// OpenSSL asks this for a passphrase when a key is encrypted. It answers from the configured
// passphrase, or "none" at once: the default callback would wait on a terminal prompt, which
// a service never answers.
int providePassphrase(char *buffer, int size, int, void *context)
{
    auto *passphrase = static_cast<Passphrase *>(context);
    passphrase->asked = true;
    if (passphrase->text.isEmpty() || passphrase->text.size() > size)
        return -1;
    std::memcpy(buffer, passphrase->text.constData(), size_t(passphrase->text.size()));
    return int(passphrase->text.size());
}

// The passphrase is the file's first line; the file should be readable by the proxy alone.
Result<QByteArray> readPassphrase(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error { ErrorCode::KeyUnreadable,
            u"cannot read ssl_key_passphrase_file %1: %2"_s.arg(path, file.errorString()) };
    }
    QByteArray line = file.readLine(4096);
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    return line;
}

Result<std::vector<X509Ptr>> readCertificates(const QString &path, const QString &what)
{
    const QByteArray pem = [&] {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }();
    if (pem.isEmpty()) {
        QFile file(path);
        const QString reason =
                file.open(QIODevice::ReadOnly) ? u"the file is empty"_s : file.errorString();
        return Error { ErrorCode::CertificateUnreadable,
            u"cannot read %1 %2: %3"_s.arg(what, path, reason) };
    }

    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    std::vector<X509Ptr> certificates;
    while (X509 *cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        certificates.emplace_back(cert);
    ERR_clear_error(); // the loop ends on an "no start line" error
    if (certificates.empty()) {
        return Error { ErrorCode::CertificateUnreadable,
            u"%1 %2 holds no PEM certificate"_s.arg(what, path) };
    }
    return certificates;
}

Result<PkeyPtr> readPrivateKey(const QString &path, const QString &passphraseFile)
{
    Passphrase passphrase;
    if (!passphraseFile.isEmpty()) {
        Result<QByteArray> text = readPassphrase(passphraseFile);
        if (!text)
            return text.error();
        passphrase.text = text.value();
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error { ErrorCode::KeyUnreadable,
            u"cannot read ssl_key %1: %2"_s.arg(path, file.errorString()) };
    }
    const QByteArray pem = file.readAll();
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, providePassphrase, &passphrase));
    passphrase.text.fill('\0');
    if (!key && passphrase.asked) {
        ERR_clear_error();
        if (passphraseFile.isEmpty()) {
            return Error { ErrorCode::KeyUnreadable,
                u"ssl_key %1 is encrypted and no passphrase is configured; set "
                "ssl_key_passphrase_file"_s.arg(path) };
        }
        return Error { ErrorCode::KeyUnreadable,
            u"ssl_key %1 cannot be decrypted with the passphrase in %2"_s.arg(
                    path, passphraseFile) };
    }
    if (!key) {
        return Error { ErrorCode::KeyUnreadable,
            u"ssl_key %1 holds no usable PEM private key (%2)"_s.arg(path, lastOpenSslError()) };
    }
    return key;
}

QByteArray toPem(X509 *cert)
{
    BioPtr out(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(out.get(), cert);
    char *data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return QByteArray(data, size);
}

// An unencrypted PKCS#8 PEM copy of the key for QSslKey, which cannot decrypt every form
// OpenSSL reads. It lives only in memory and is wiped after use.
QSslKey toQSslKey(EVP_PKEY *key)
{
    BioPtr out(BIO_new(BIO_s_mem()));
    PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    char *data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    QByteArray pem(data, size);
    OPENSSL_cleanse(data, size_t(size));

    QSsl::KeyAlgorithm algorithm = QSsl::Opaque;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        algorithm = QSsl::Rsa;
        break;
    case EVP_PKEY_EC:
        algorithm = QSsl::Ec;
        break;
    case EVP_PKEY_DSA:
        algorithm = QSsl::Dsa;
        break;
    case EVP_PKEY_DH:
        algorithm = QSsl::Dh;
        break;
    default:
        break;
    }
    QSslKey result(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
    pem.fill('\0');
    return result;
}

// Whether cert signed another certificate of the list: then it is a CA, not the leaf.
bool issuedAnother(X509 *cert, const std::vector<X509Ptr> &certificates)
{
    return std::any_of(certificates.begin(), certificates.end(), [cert](const X509Ptr &other) {
        return other.get() != cert && X509_check_issued(cert, other.get()) == X509_V_OK;
    });
}

bool isSelfIssued(X509 *cert)
{
    return X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
}

X509 *findIssuer(X509 *cert, const std::vector<X509Ptr> &candidates)
{
    for (const X509Ptr &candidate : candidates) {
        if (candidate.get() != cert && X509_check_issued(candidate.get(), cert) == X509_V_OK)
            return candidate.get();
    }
    return nullptr;
}

// Leaf first, then each issuer in turn, as TLS requires (RFC 8446 section 4.4.2 allows
// clients to be lenient, but not every client is). Roots are not sent: clients must
// already trust them.
std::vector<X509 *> orderChain(X509 *leaf,
        const std::vector<X509Ptr> &fromCertFile,
        const std::vector<X509Ptr> &fromCaFile)
{
    std::vector<X509 *> chain { leaf };
    while (chain.size() < 10 && !isSelfIssued(chain.back())) {
        X509 *issuer = findIssuer(chain.back(), fromCertFile);
        if (!issuer)
            issuer = findIssuer(chain.back(), fromCaFile);
        if (!issuer || isSelfIssued(issuer)
                || std::find(chain.begin(), chain.end(), issuer) != chain.end())
            break;
        chain.push_back(issuer);
    }
    return chain;
}

} // namespace

Result<TlsIdentity> TlsIdentity::load(const QString &certPath,
        const QString &keyPath,
        const QString &caPath,
        const QString &passphraseFile)
{
    if (!QSslSocket::supportsSsl()) {
        return Error { ErrorCode::TlsUnavailable,
            u"https_proxy_port needs TLS, but Qt has no working TLS backend (%1)"_s.arg(
                    QSslSocket::sslLibraryBuildVersionString()) };
    }

    Result<std::vector<X509Ptr>> certificates = readCertificates(certPath, u"ssl_cert"_s);
    if (!certificates)
        return certificates.error();
    Result<PkeyPtr> key = readPrivateKey(keyPath, passphraseFile);
    if (!key)
        return key.error();
    std::vector<X509Ptr> caCertificates;
    if (!caPath.isEmpty()) {
        Result<std::vector<X509Ptr>> ca = readCertificates(caPath, u"ssl_ca"_s);
        if (!ca)
            return ca.error();
        caCertificates = std::move(ca.value());
    }

    X509 *leaf = nullptr;
    for (const X509Ptr &cert : certificates.value()) {
        if (X509_check_private_key(cert.get(), key.value().get()) == 1) {
            leaf = cert.get();
            break;
        }
    }
    ERR_clear_error();
    if (!leaf || issuedAnother(leaf, certificates.value())) {
        // A key that matches a CA in the chain would serve that CA as the leaf, which
        // browsers refuse: it is as wrong as a key of another pair.
        return Error { ErrorCode::KeyMismatch,
            u"ssl_key %1 does not match the server certificate in ssl_cert %2"_s.arg(
                    keyPath, certPath) };
    }

    TlsIdentity identity;
    identity.m_certPath = certPath;
    for (X509 *cert : orderChain(leaf, certificates.value(), caCertificates))
        identity.m_chain.append(QSslCertificate(toPem(cert), QSsl::Pem));
    identity.m_key = toQSslKey(key.value().get());
    if (identity.m_key.isNull()) {
        return Error { ErrorCode::KeyUnreadable,
            u"ssl_key %1 uses a key type the TLS backend cannot serve"_s.arg(keyPath) };
    }
    return identity;
}

QString TlsIdentity::fingerprint() const
{
    return QString::fromLatin1(m_chain.front().digest(QCryptographicHash::Sha256).toHex(':'))
            .toUpper();
}

QStringList TlsIdentity::warnings(const QDateTime &now) const
{
    const QSslCertificate &leaf = m_chain.front();
    QStringList result;
    if (leaf.expiryDate() < now) {
        result << u"the certificate in %1 expired on %2; browsers will refuse it"_s.arg(
                m_certPath, leaf.expiryDate().toString(Qt::ISODate));
    } else if (leaf.effectiveDate() > now) {
        result << u"the certificate in %1 is not valid before %2; browsers will refuse it"_s.arg(
                m_certPath, leaf.effectiveDate().toString(Qt::ISODate));
    }
    return result;
}

QSslConfiguration TlsIdentity::serverConfiguration() const
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setLocalCertificateChain(m_chain);
    configuration.setPrivateKey(m_key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return configuration;
}

} // namespace StudioProxy

#include "certs/tlsidentity.h"

#include "certs/opensslsupport.h"

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

using namespace OpenSsl;

namespace {

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

} // namespace

Result<TlsIdentity> TlsIdentity::load(const QString &certPath,
        const QString &keyPath,
        const QString &caPath,
        const QString &passphraseFile)
{
    return load(certPath, keyPath, caPath, KeyPassphrase { passphraseFile, {} });
}

Result<TlsIdentity> TlsIdentity::load(const QString &certPath,
        const QString &keyPath,
        const QString &caPath,
        const KeyPassphrase &passphrase)
{
    if (!QSslSocket::supportsSsl()) {
        return Error { ErrorCode::TlsUnavailable,
            u"https_proxy_port needs TLS, but Qt has no working TLS backend (%1)"_s.arg(
                    QSslSocket::sslLibraryBuildVersionString()) };
    }

    Result<std::vector<X509Ptr>> certificates = readCertificates(certPath, u"ssl_cert"_s);
    if (!certificates)
        return certificates.error();
    Result<PkeyPtr> key = readPrivateKey(keyPath, passphrase);
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

#pragma once

#include "certs/opensslsupport.h"
#include "util/result.h"

#include <QDateTime>
#include <QList>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QStringList>

namespace StudioProxy {

// The certificate chain and private key a TLS listener serves, checked to belong together.
// The chain is ordered leaf first; intermediates missing from the certificate file are
// taken from the CA file when it has them (browsers do not fetch missing intermediates).
class TlsIdentity
{
public:
    // passphraseFile holds the passphrase of an encrypted key on its first line.
    static Result<TlsIdentity> load(const QString &certPath,
            const QString &keyPath,
            const QString &caPath = QString(),
            const QString &passphraseFile = QString());

    static Result<TlsIdentity> load(const QString &certPath,
            const QString &keyPath,
            const QString &caPath,
            const KeyPassphrase &passphrase);

    const QList<QSslCertificate> &chain() const { return m_chain; }

    const QSslKey &key() const { return m_key; }

    QString certPath() const { return m_certPath; }

    // SHA-256 of the leaf certificate, as colon-separated hex.
    QString fingerprint() const;

    // Things an admin should know that do not stop the proxy (an expired certificate).
    QStringList warnings(const QDateTime &now = QDateTime::currentDateTimeUtc()) const;

    // TLS 1.2 or newer, serving this chain and key, not asking clients for certificates.
    QSslConfiguration serverConfiguration() const;

private:
    QList<QSslCertificate> m_chain;
    QSslKey m_key;
    QString m_certPath;
};

} // namespace StudioProxy

#pragma once

#include "certs/opensslsupport.h"
#include "util/result.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace StudioProxy {

// What one X.509 certificate says, in the words an admin checks it by.
struct CertificateInfo
{
    QString subject; // one line, RFC 2253 order ("CN=localhost,O=Example")
    QString issuer;
    QString commonName;
    QStringList dnsNames; // subjectAltName dNSName entries
    QStringList ipAddresses; // subjectAltName iPAddress entries, as QHostAddress writes them
    bool hasSubjectAltName = false;
    QDateTime notBefore;
    QDateTime notAfter;
    QString keyType; // "RSA", "EC", "Ed25519", ...
    int keyBits = 0;
    QString curve; // "P-256" for EC keys
    QString signatureAlgorithm; // "ecdsa-with-SHA256"
    QString fingerprint; // SHA-256, colon-separated hex
    QString serialNumber; // hex
    bool selfIssued = false;
    bool isCa = false; // basicConstraints CA:TRUE
    bool hasBasicConstraints = false;
    bool basicConstraintsCritical = false;
    QStringList keyUsage; // "digitalSignature", "keyCertSign", ... (empty: no extension)
    bool keyUsageCritical = false;
    QStringList extendedKeyUsage; // "serverAuth", ... (empty: no extension)
    bool hasSubjectKeyIdentifier = false;
    bool hasAuthorityKeyIdentifier = false;
    QByteArray pem;

    // "EC P-256", "RSA 2048".
    QString keyDescription() const;
    // Every subjectAltName as OpenSSL writes them: "DNS:localhost", "IP:127.0.0.1".
    QStringList names() const;
};

// What the private key file is and how it is kept.
struct KeyFileInfo
{
    QString path;
    bool exists = false;
    bool readableByOthers = false; // group or world may read it
    bool encrypted = false;
    bool loaded = false; // read (and decrypted, when encrypted)
    QString error; // why not loaded
    QString keyType;
    int keyBits = 0;
    QString curve;
    std::optional<bool> matchesLeaf; // unknown when the key or the certificate is unreadable
};

// A certificate file, its key and CA file as the proxy would serve them.
struct CertificateInspection
{
    QString certPath;
    QString caPath;
    QList<CertificateInfo> inFile; // the certificate file, in file order
    QList<CertificateInfo> caFile; // the CA file, in file order
    QList<CertificateInfo> chain; // as served: leaf first, then its issuers, roots left out
    KeyFileInfo key;

    const CertificateInfo *leaf() const { return chain.isEmpty() ? nullptr : &chain.front(); }
};

CertificateInfo describeCertificate(X509 *cert);

// Every certificate in a PEM (or DER) file.
Result<QList<CertificateInfo>> inspectCertificateFile(const QString &path);

// Reads the certificate file (a failure is the only error), then the key and the CA file when
// given; what cannot be read of those is recorded in the result, not returned as an error.
// Without a usable key, the leaf is the one certificate that issued none of the others.
Result<CertificateInspection> inspectCertificate(const QString &certPath,
        const QString &keyPath = QString(),
        const QString &caPath = QString(),
        const KeyPassphrase &passphrase = {});

} // namespace StudioProxy

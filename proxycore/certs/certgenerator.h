#pragma once

#include "control/controller.h"
#include "util/result.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

namespace StudioProxy {

enum class KeyAlgorithm {
    EcP256, // what every current browser takes, and small
    Rsa,
};

// What to make: a server certificate for these hosts, signed by the development CA in
// outputFolder (made there first when it has none).
struct GenerateRequest
{
    static constexpr int DefaultLeafDays = 397;
    static constexpr int MaxLeafDays = 825;
    // OpenSSL's own limit for RSA moduli (OPENSSL_RSA_MAX_MODULUS_BITS).
    static constexpr int MaxRsaBits = 16384;

    QStringList hosts; // DNS names, wildcards over one label, IPv4 and IPv6 addresses
    QString outputFolder;
    KeyAlgorithm algorithm = KeyAlgorithm::EcP256;
    int rsaBits = 2048;
    int leafDays = DefaultLeafDays;
    int caDays = 3650;
    QDateTime now; // invalid: the current time
};

// The files written, all PEM except caDer. Keys are mode 0600.
struct GeneratedCertificates
{
    QString caCert; // ca.pem
    QString caCrt; // ca.crt, the same PEM under the name update-ca-certificates reads
    QString caDer; // ca.der, for tools that import DER
    QString caKey; // ca.key
    QString cert; // server.pem
    QString key; // server.key
    QString caFingerprint; // SHA-256
    bool caReused = false; // the CA was already in the folder, and is already trusted where
            // it was trusted before
    QStringList backups; // <file>.bak for each file that was replaced
};

// Makes a development CA and server certificates signed by it, with the properties browsers
// insist on (subjectAltName always, IP SANs for addresses, a leaf of at most 825 days that
// started an hour ago, serverAuth, CA:FALSE; a CA with critical basicConstraints and key
// usage and a key identifier), using OpenSSL 3.
class CertificateGenerator
{
public:
    static constexpr const char *CaName = "Studio Proxy development CA";

    static Result<GeneratedCertificates> generate(const GenerateRequest &request);

    // Points ssl_cert and ssl_key of a config file at generated files, as one edit
    // (ConfigEditor::updateAll: one backup, the rest of the file untouched).
    static Result<QList<ConfigUpdate>> useInConfig(
            const QString &configPath, const GeneratedCertificates &generated);
};

} // namespace StudioProxy

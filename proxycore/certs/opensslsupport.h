#pragma once

#include "util/result.h"

#include <QByteArray>
#include <QString>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

namespace StudioProxy {

// Where the passphrase of an encrypted private key comes from: a file whose first line it is
// (ssl_key_passphrase_file), or text typed into the GUI. Neither set: the key must not be
// encrypted. Nothing ever asks on a terminal.
struct KeyPassphrase
{
    QString file;
    QByteArray text;

    bool isEmpty() const { return file.isEmpty() && text.isEmpty(); }
};

// OpenSSL objects owned the C++ way, and the readers that the certificate code shares.
namespace OpenSsl {

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

// The most recent error on OpenSSL's queue, which is then cleared.
QString lastError();

// Certificate, key and passphrase files are small: a CA bundle of a whole system is well
// under this.
constexpr qint64 MaxFileSize = 8 * 1024 * 1024;

// The content of a regular file of at most MaxFileSize bytes; anything else (a folder, FIFO,
// device, a huge file) is an error naming what the file is for ("ssl_cert") and why.
Result<QByteArray> readSmallFile(const QString &path, const QString &what, ErrorCode code);

// Every certificate in a PEM file, in file order; what names the file in messages
// ("ssl_cert"). A DER file of one certificate is read too.
Result<std::vector<X509Ptr>> readCertificates(const QString &path, const QString &what);

Result<std::vector<X509Ptr>> certificatesFromPem(const QByteArray &pem);

Result<PkeyPtr> readPrivateKey(const QString &path, const KeyPassphrase &passphrase);

QByteArray toPem(X509 *cert);
QByteArray toDer(X509 *cert);

// Whether cert signed another certificate of the list: then it is a CA, not the leaf.
bool issuedAnother(X509 *cert, const std::vector<X509Ptr> &certificates);

bool isSelfIssued(X509 *cert);

// Leaf first, then each issuer in turn from the certificate file, else from the CA file,
// as a TLS server sends them. Roots are left out: clients must already trust them.
std::vector<X509 *> orderChain(X509 *leaf,
        const std::vector<X509Ptr> &fromCertFile,
        const std::vector<X509Ptr> &fromCaFile);

// SHA-256 of the DER form, as colon-separated upper-case hex.
QString fingerprint(X509 *cert);

} // namespace OpenSsl

} // namespace StudioProxy

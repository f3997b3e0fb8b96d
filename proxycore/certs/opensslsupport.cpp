#include "certs/opensslsupport.h"
#include "certs/threadrelease.h"

#include <QFile>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sys/stat.h>

using namespace Qt::StringLiterals;

namespace StudioProxy::OpenSsl {

Result<QByteArray> readSmallFile(const QString &path, const QString &what, ErrorCode code)
{
    // Checked before opening: opening a FIFO waits for a writer, and reading /dev/zero never
    // ends; either would stall the proxy's thread, sessions and all.
    struct stat status
    { };

    if (::stat(QFile::encodeName(path).constData(), &status) != 0) {
        return Error { code,
            u"cannot read %1 %2: %3"_s.arg(what, path, QString::fromLocal8Bit(strerror(errno))) };
    }
    if (!S_ISREG(status.st_mode)) {
        return Error { code,
            u"%1 %2 is not a regular file (a folder, device or pipe)"_s.arg(what, path) };
    }
    if (status.st_size > MaxFileSize) {
        return Error { code,
            u"%1 %2 is too large for a certificate or key file (%3 bytes)"_s.arg(
                    what, path, QString::number(qint64(status.st_size))) };
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return Error { code, u"cannot read %1 %2: %3"_s.arg(what, path, file.errorString()) };
    }
    return file.read(MaxFileSize);
}

namespace {

// What OpenSSL's passphrase callback works with.
struct PassphraseState
{
    QByteArray text; // empty: none configured
    bool asked = false;
};

// OpenSSL asks this for a passphrase when a key is encrypted. It answers from the configured
// passphrase, or "none" at once: the default callback would wait on a terminal prompt, which
// a service never answers.
int providePassphrase(char *buffer, int size, int, void *context)
{
    auto *passphrase = static_cast<PassphraseState *>(context);
    passphrase->asked = true;
    if (passphrase->text.isEmpty() || passphrase->text.size() > size)
        return -1;
    std::memcpy(buffer, passphrase->text.constData(), size_t(passphrase->text.size()));
    return int(passphrase->text.size());
}

// The passphrase is the file's first line; the file should be readable by the proxy alone.
Result<QByteArray> readPassphrase(const QString &path)
{
    Result<QByteArray> content =
            readSmallFile(path, u"ssl_key_passphrase_file"_s, ErrorCode::KeyUnreadable);
    if (!content)
        return content.error();
    QByteArray line = content->left(content->indexOf('\n'));
    while (line.endsWith('\r'))
        line.chop(1);
    return line;
}

} // namespace

QString lastError()
{
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0)
        return u"no PEM data found"_s;
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return QString::fromLatin1(text);
}

Result<std::vector<X509Ptr>> certificatesFromPem(const QByteArray &pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    std::vector<X509Ptr> certificates;
    while (X509 *cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        certificates.emplace_back(cert);
    ERR_clear_error(); // the loop ends on an "no start line" error
    if (certificates.empty()) {
        const auto *data = reinterpret_cast<const unsigned char *>(pem.constData());
        if (X509 *cert = d2i_X509(nullptr, &data, long(pem.size())))
            certificates.emplace_back(cert);
        ERR_clear_error();
    }
    if (certificates.empty())
        return Error { ErrorCode::CertificateUnreadable, u"no PEM certificate"_s };
    return certificates;
}

Result<std::vector<X509Ptr>> readCertificates(const QString &path, const QString &what)
{
    Result<QByteArray> content = readSmallFile(path, what, ErrorCode::CertificateUnreadable);
    if (!content)
        return content.error();
    const QByteArray pem = content.value();
    if (pem.isEmpty()) {
        return Error { ErrorCode::CertificateUnreadable,
            u"cannot read %1 %2: the file is empty"_s.arg(what, path) };
    }
    Result<std::vector<X509Ptr>> certificates = certificatesFromPem(pem);
    if (!certificates) {
        return Error { ErrorCode::CertificateUnreadable,
            u"%1 %2 holds no PEM certificate"_s.arg(what, path) };
    }
    return certificates;
}

Result<PkeyPtr> readPrivateKey(const QString &path, const KeyPassphrase &source)
{
    PassphraseState passphrase;
    passphrase.text = source.text;
    if (passphrase.text.isEmpty() && !source.file.isEmpty()) {
        Result<QByteArray> text = readPassphrase(source.file);
        if (!text)
            return text.error();
        passphrase.text = text.value();
    }
    Result<QByteArray> content = readSmallFile(path, u"ssl_key"_s, ErrorCode::KeyUnreadable);
    if (!content)
        return content.error();
    const QByteArray pem = content.value();
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, providePassphrase, &passphrase));
    passphrase.text.fill('\0');
    if (!key && passphrase.asked) {
        ERR_clear_error();
        if (source.isEmpty()) {
            return Error { ErrorCode::KeyUnreadable,
                u"ssl_key %1 is encrypted and no passphrase is configured; set "
                "ssl_key_passphrase_file"_s.arg(path) };
        }
        const QString from = source.text.isEmpty() ? u"the passphrase in "_s + source.file
                                                   : u"the passphrase given"_s;
        return Error { ErrorCode::KeyUnreadable,
            u"ssl_key %1 cannot be decrypted with %2"_s.arg(path, from) };
    }
    if (!key) {
        return Error { ErrorCode::KeyUnreadable,
            u"ssl_key %1 holds no usable PEM private key (%2)"_s.arg(path, lastError()) };
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

QByteArray toDer(X509 *cert)
{
    const int size = i2d_X509(cert, nullptr);
    if (size <= 0)
        return {};
    QByteArray der(size, Qt::Uninitialized);
    auto *out = reinterpret_cast<unsigned char *>(der.data());
    i2d_X509(cert, &out);
    return der;
}

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

namespace {

X509 *findIssuer(X509 *cert, const std::vector<X509Ptr> &candidates)
{
    for (const X509Ptr &candidate : candidates) {
        if (candidate.get() != cert && X509_check_issued(candidate.get(), cert) == X509_V_OK)
            return candidate.get();
    }
    return nullptr;
}

} // namespace

// RFC 8446 section 4.4.2 lets clients be lenient about the order, but not every client is.
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

QString fingerprint(X509 *cert)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    X509_digest(cert, EVP_sha256(), digest, &size);
    return QString::fromLatin1(
            QByteArray(reinterpret_cast<const char *>(digest), int(size)).toHex(':').toUpper());
}

} // namespace StudioProxy::OpenSsl

namespace StudioProxy {

OpenSslThreadRelease::~OpenSslThreadRelease()
{
    OPENSSL_thread_stop();
}

} // namespace StudioProxy

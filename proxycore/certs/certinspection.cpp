#include "certs/certinspection.h"

#include <QFile>
#include <QFileInfo>
#include <QHostAddress>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

using namespace OpenSsl;

namespace {

QString nameText(const X509_NAME *name)
{
    BioPtr out(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *data = nullptr;
    const long size = BIO_get_mem_data(out.get(), &data);
    return QString::fromUtf8(data, size);
}

QString commonName(const X509_NAME *name)
{
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0)
        return {};
    const ASN1_STRING *value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char *utf8 = nullptr;
    const int size = ASN1_STRING_to_UTF8(&utf8, value);
    if (size < 0)
        return {};
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(utf8), size);
    OPENSSL_free(utf8);
    return text;
}

QDateTime toDateTime(const ASN1_TIME *time)
{
    struct tm parts = {};
    if (ASN1_TIME_to_tm(time, &parts) != 1)
        return {};
    return QDateTime(QDate(parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday),
            QTime(parts.tm_hour, parts.tm_min, parts.tm_sec),
            Qt::UTC);
}

void readAltNames(X509 *cert, CertificateInfo &info)
{
    auto *names = static_cast<GENERAL_NAMES *>(
            X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (!names)
        return;
    info.hasSubjectAltName = true;
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        if (name->type == GEN_DNS) {
            const ASN1_STRING *text = name->d.dNSName;
            info.dnsNames << QString::fromLatin1(
                    reinterpret_cast<const char *>(ASN1_STRING_get0_data(text)),
                    ASN1_STRING_length(text));
        } else if (name->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *bytes = name->d.iPAddress;
            const unsigned char *data = ASN1_STRING_get0_data(bytes);
            const int size = ASN1_STRING_length(bytes);
            QHostAddress address;
            if (size == 4) {
                address.setAddress(quint32(data[0]) << 24 | quint32(data[1]) << 16
                        | quint32(data[2]) << 8 | quint32(data[3]));
            } else if (size == 16) {
                address.setAddress(data);
            }
            if (!address.isNull())
                info.ipAddresses << address.toString();
        }
    }
    GENERAL_NAMES_free(names);
}

void readUsages(X509 *cert, CertificateInfo &info)
{
    int critical = -1;
    if (auto *constraints = static_cast<BASIC_CONSTRAINTS *>(
                X509_get_ext_d2i(cert, NID_basic_constraints, &critical, nullptr))) {
        info.hasBasicConstraints = true;
        info.isCa = constraints->ca != 0;
        info.basicConstraintsCritical = critical == 1;
        BASIC_CONSTRAINTS_free(constraints);
    }

    const uint32_t usage = X509_get_key_usage(cert);
    if (usage != UINT32_MAX) {
        static const std::pair<uint32_t, const char *> bits[] = {
            { KU_DIGITAL_SIGNATURE, "digitalSignature" },
            { KU_NON_REPUDIATION, "nonRepudiation" },
            { KU_KEY_ENCIPHERMENT, "keyEncipherment" },
            { KU_DATA_ENCIPHERMENT, "dataEncipherment" },
            { KU_KEY_AGREEMENT, "keyAgreement" },
            { KU_KEY_CERT_SIGN, "keyCertSign" },
            { KU_CRL_SIGN, "cRLSign" },
        };
        for (const auto &[bit, name] : bits) {
            if (usage & bit)
                info.keyUsage << QString::fromLatin1(name);
        }
        critical = -1;
        if (auto *bitString = static_cast<ASN1_BIT_STRING *>(
                    X509_get_ext_d2i(cert, NID_key_usage, &critical, nullptr))) {
            ASN1_BIT_STRING_free(bitString);
        }
        info.keyUsageCritical = critical == 1;
    }

    if (auto *purposes = static_cast<EXTENDED_KEY_USAGE *>(
                X509_get_ext_d2i(cert, NID_ext_key_usage, nullptr, nullptr))) {
        for (int i = 0; i < sk_ASN1_OBJECT_num(purposes); ++i) {
            const int nid = OBJ_obj2nid(sk_ASN1_OBJECT_value(purposes, i));
            info.extendedKeyUsage << QString::fromLatin1(
                    nid == NID_undef ? "unknown" : OBJ_nid2sn(nid));
        }
        EXTENDED_KEY_USAGE_free(purposes);
    }
    info.hasSubjectKeyIdentifier = X509_get0_subject_key_id(cert) != nullptr;
    info.hasAuthorityKeyIdentifier = X509_get0_authority_key_id(cert) != nullptr;
    ERR_clear_error();
}

struct KeyFacts
{
    QString type;
    int bits = 0;
    QString curve;
};

KeyFacts describeKey(const EVP_PKEY *key)
{
    KeyFacts facts;
    facts.bits = EVP_PKEY_get_bits(key);
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
        facts.type = u"RSA"_s;
        break;
    case EVP_PKEY_EC: {
        facts.type = u"EC"_s;
        char group[80] = {};
        size_t size = 0;
        if (EVP_PKEY_get_group_name(key, group, sizeof group, &size) == 1) {
            const int nid = OBJ_sn2nid(group);
            const char *nist = nid == NID_undef ? nullptr : EC_curve_nid2nist(nid);
            facts.curve = QString::fromLatin1(nist ? nist : group);
        }
        break;
    }
    case EVP_PKEY_ED25519:
        facts.type = u"Ed25519"_s;
        break;
    case EVP_PKEY_ED448:
        facts.type = u"Ed448"_s;
        break;
    case EVP_PKEY_DSA:
        facts.type = u"DSA"_s;
        break;
    default:
        facts.type = QString::fromLatin1(EVP_PKEY_get0_type_name(key));
        break;
    }
    return facts;
}

bool isEncryptedPem(const QByteArray &pem)
{
    return pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")
            || pem.contains("Proc-Type: 4,ENCRYPTED");
}

} // namespace

QString CertificateInfo::keyDescription() const
{
    if (!curve.isEmpty())
        return keyType + u' ' + curve;
    return keyType == u"RSA" || keyType == u"DSA" ? u"%1 %2"_s.arg(keyType).arg(keyBits) : keyType;
}

QStringList CertificateInfo::names() const
{
    QStringList result;
    for (const QString &name : dnsNames)
        result << u"DNS:"_s + name;
    for (const QString &address : ipAddresses)
        result << u"IP:"_s + address;
    return result;
}

CertificateInfo describeCertificate(X509 *cert)
{
    CertificateInfo info;
    info.subject = nameText(X509_get_subject_name(cert));
    info.issuer = nameText(X509_get_issuer_name(cert));
    info.commonName = commonName(X509_get_subject_name(cert));
    info.notBefore = toDateTime(X509_get0_notBefore(cert));
    info.notAfter = toDateTime(X509_get0_notAfter(cert));
    info.fingerprint = fingerprint(cert);
    info.selfIssued = isSelfIssued(cert);
    info.pem = toPem(cert);

    if (const EVP_PKEY *key = X509_get0_pubkey(cert)) {
        const KeyFacts facts = describeKey(key);
        info.keyType = facts.type;
        info.keyBits = facts.bits;
        info.curve = facts.curve;
    }
    const int signature = X509_get_signature_nid(cert);
    info.signatureAlgorithm = QString::fromLatin1(OBJ_nid2ln(signature));
    if (BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
        char *hex = BN_bn2hex(serial);
        info.serialNumber = QString::fromLatin1(hex);
        OPENSSL_free(hex);
        BN_free(serial);
    }
    readAltNames(cert, info);
    readUsages(cert, info);
    return info;
}

Result<QList<CertificateInfo>> inspectCertificateFile(const QString &path)
{
    Result<std::vector<X509Ptr>> certificates = readCertificates(path, u"certificate file"_s);
    if (!certificates)
        return certificates.error();
    QList<CertificateInfo> result;
    for (const X509Ptr &cert : certificates.value())
        result << describeCertificate(cert.get());
    return result;
}

Result<CertificateInspection> inspectCertificate(const QString &certPath,
        const QString &keyPath,
        const QString &caPath,
        const KeyPassphrase &passphrase)
{
    Result<std::vector<X509Ptr>> certificates = readCertificates(certPath, u"ssl_cert"_s);
    if (!certificates)
        return certificates.error();
    CertificateInspection inspection;
    inspection.certPath = certPath;
    inspection.caPath = caPath;
    for (const X509Ptr &cert : certificates.value())
        inspection.inFile << describeCertificate(cert.get());

    std::vector<X509Ptr> caCertificates;
    if (!caPath.isEmpty()) {
        if (Result<std::vector<X509Ptr>> ca = readCertificates(caPath, u"ssl_ca"_s)) {
            caCertificates = std::move(ca.value());
            for (const X509Ptr &cert : caCertificates)
                inspection.caFile << describeCertificate(cert.get());
        }
    }

    X509 *leaf = nullptr;
    KeyFileInfo &key = inspection.key;
    if (!keyPath.isEmpty()) {
        key.path = keyPath;
        const QFileInfo file(keyPath);
        key.exists = file.exists();
        struct stat status = {};
        if (::stat(QFile::encodeName(keyPath).constData(), &status) == 0)
            key.readableByOthers = (status.st_mode & (S_IRGRP | S_IROTH)) != 0;
        if (const Result<QByteArray> content =
                        readSmallFile(keyPath, u"ssl_key"_s, ErrorCode::KeyUnreadable))
            key.encrypted = isEncryptedPem(content.value());

        Result<PkeyPtr> privateKey = readPrivateKey(keyPath, passphrase);
        if (privateKey) {
            key.loaded = true;
            const KeyFacts facts = describeKey(privateKey.value().get());
            key.keyType = facts.type;
            key.keyBits = facts.bits;
            key.curve = facts.curve;
            for (const X509Ptr &cert : certificates.value()) {
                if (X509_check_private_key(cert.get(), privateKey.value().get()) == 1
                        && !issuedAnother(cert.get(), certificates.value())) {
                    leaf = cert.get();
                    break;
                }
            }
            ERR_clear_error();
            key.matchesLeaf = leaf != nullptr;
        } else {
            key.error = privateKey.error().message;
        }
    }

    if (!leaf) {
        for (const X509Ptr &cert : certificates.value()) {
            if (!issuedAnother(cert.get(), certificates.value())) {
                leaf = cert.get();
                break;
            }
        }
        if (!leaf)
            leaf = certificates.value().front().get();
    }
    for (X509 *cert : orderChain(leaf, certificates.value(), caCertificates))
        inspection.chain << describeCertificate(cert);
    return inspection;
}

} // namespace StudioProxy

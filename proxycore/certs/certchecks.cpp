#include "certs/certchecks.h"

#include "certs/hostnames.h"
#include "certs/tlsidentity.h"
#include "config/proxysettings.h"

#include <QSslSocket>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace StudioProxy {

using namespace OpenSsl;

namespace {

CertificateCheck check(
        const QString &name, const QString &title, Verdict verdict, const QString &sentence)
{
    return { name, title, verdict, sentence };
}

CertificateCheck keyCheck(const CheckRequest &request, const CertificateInspection &inspection)
{
    const QString title = u"Key matches the certificate"_s;
    const KeyFileInfo &key = inspection.key;
    if (request.keyPath.isEmpty())
        return check(u"key"_s, title, Verdict::Fail, u"No ssl_key is configured."_s);
    if (!key.loaded) {
        return check(u"key"_s,
                title,
                Verdict::Fail,
                key.error
                        + (key.encrypted && request.passphrase.isEmpty()
                                        ? u"; put the passphrase in a file of mode 0600 and name "
                                          u"it in "
                                          "ssl_key_passphrase_file"_s
                                        : QString()));
    }
    if (!key.matchesLeaf.value_or(false)) {
        return check(u"key"_s,
                title,
                Verdict::Fail,
                u"The key in %1 belongs to no server certificate in %2: the proxy will refuse "
                "to start; use the key made together with this certificate"_s.arg(
                        request.keyPath, request.certPath));
    }
    return check(u"key"_s,
            title,
            Verdict::Pass,
            u"The %1 key in %2 belongs to the server certificate."_s.arg(key.curve.isEmpty()
                            ? u"%1 %2"_s.arg(key.keyType).arg(key.keyBits)
                            : key.keyType + u' ' + key.curve,
                    request.keyPath));
}

CertificateCheck keyFileCheck(const CheckRequest &request, const CertificateInspection &inspection)
{
    const QString title = u"Key file is private"_s;
    if (!inspection.key.readableByOthers) {
        return check(u"key file"_s,
                title,
                Verdict::Pass,
                u"Only its owner may read %1."_s.arg(request.keyPath));
    }
    return check(u"key file"_s,
            title,
            Verdict::Warning,
            u"Other users may read the private key %1; run chmod 600 on it (and make the "
            "proxy's user its owner)"_s.arg(request.keyPath));
}

// Whether the chain as served reaches a root in ssl_ca or in the system store. Dates are left
// to the validity check, so that one problem gets one sentence.
CertificateCheck chainCheck(const CheckRequest &request, const CertificateInspection &inspection)
{
    const QString title = u"Chain is complete"_s;
    Result<std::vector<X509Ptr>> served = certificatesFromPem([&] {
        QByteArray pem;
        for (const CertificateInfo &cert : inspection.chain)
            pem += cert.pem;
        return pem;
    }());
    if (!served)
        return check(u"chain"_s, title, Verdict::Fail, served.error().message);

    X509_STORE *store = X509_STORE_new();
    QStringList caFingerprints;
    for (const CertificateInfo &cert : inspection.caFile) {
        Result<std::vector<X509Ptr>> parsed = certificatesFromPem(cert.pem);
        if (parsed && isSelfIssued(parsed.value().front().get())) {
            X509_STORE_add_cert(store, parsed.value().front().get());
            caFingerprints << cert.fingerprint;
        }
    }
    if (request.useSystemStore)
        X509_STORE_set_default_paths(store);
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    for (size_t i = 1; i < served.value().size(); ++i)
        sk_X509_push(untrusted, served.value()[i].get());

    X509_STORE_CTX *context = X509_STORE_CTX_new();
    X509_STORE_CTX_init(context, store, served.value().front().get(), untrusted);
    X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SSL_SERVER);
    X509_STORE_CTX_set_flags(context, X509_V_FLAG_NO_CHECK_TIME);
    const bool verified = X509_verify_cert(context) == 1;
    const int error = X509_STORE_CTX_get_error(context);
    QString rootFingerprint;
    QString rootSubject;
    if (STACK_OF(X509) *built = X509_STORE_CTX_get0_chain(context)) {
        X509 *root = sk_X509_value(built, sk_X509_num(built) - 1);
        rootFingerprint = fingerprint(root);
        rootSubject = describeCertificate(root).subject;
    }
    X509_STORE_CTX_free(context);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    ERR_clear_error();

    const CertificateInfo &last = inspection.chain.constLast();
    if (verified) {
        if (caFingerprints.contains(rootFingerprint)) {
            return check(u"chain"_s,
                    title,
                    Verdict::Pass,
                    u"The chain ends at %1 from ssl_ca; each browser must trust that root "
                    "(studio-proxy cert trust --ca %2 shows how)."_s.arg(
                            rootSubject, request.caPath));
        }
        return check(u"chain"_s,
                title,
                Verdict::Pass,
                u"The chain ends at %1, a root in the system's trust store."_s.arg(rootSubject));
    }
    if (error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) {
        return check(u"chain"_s,
                title,
                Verdict::Fail,
                u"The server certificate is self-signed: browsers trust it only if each one "
                "is told to; sign it with a CA instead (studio-proxy cert generate)"_s);
    }
    if (error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
            || error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
        const QString where = request.caPath.isEmpty()
                ? u"the system's trust store"_s
                : u"ssl_ca %1 or the system's trust store"_s.arg(request.caPath);
        if (last.selfIssued || inspection.chain.size() > 1 || !last.isCa) {
            return check(u"chain"_s,
                    title,
                    Verdict::Fail,
                    u"The chain stops at %1, whose issuer %2 is neither served nor in %3. If "
                    "%2 is a root (as the CA of studio-proxy cert generate is), name it in "
                    "ssl_ca and have browsers trust it; if it is an intermediate, add the "
                    "intermediate certificate %2 to ssl_cert after the server certificate (or "
                    "to ssl_ca), and make sure its root is trusted"_s.arg(
                            last.subject, last.issuer, where));
        }
    }
    if (error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN) {
        return check(u"chain"_s,
                title,
                Verdict::Fail,
                u"The chain ends at the root %1, which is not in %2; name that root in ssl_ca "
                "and have browsers trust it"_s.arg(rootSubject,
                        request.caPath.isEmpty() ? u"the system's trust store"_s : request.caPath));
    }
    return check(u"chain"_s,
            title,
            Verdict::Fail,
            u"The chain does not verify: %1 (at %2)"_s.arg(
                    QString::fromLatin1(X509_verify_cert_error_string(error)), last.subject));
}

CertificateCheck validityCheck(
        const CheckRequest &request, const CertificateInfo &leaf, const QDateTime &now)
{
    const QString title = u"Valid now"_s;
    const QString until = leaf.notAfter.toString(Qt::ISODate);
    if (leaf.notAfter < now) {
        return check(u"validity"_s,
                title,
                Verdict::Fail,
                u"The certificate expired on %1; browsers refuse it: make or get a new one"_s.arg(
                        until));
    }
    if (leaf.notBefore > now) {
        return check(u"validity"_s,
                title,
                Verdict::Fail,
                u"The certificate is not valid before %1; browsers refuse it until then: check "
                "this machine's clock and the clock of the machine that made it"_s.arg(
                        leaf.notBefore.toString(Qt::ISODate)));
    }
    const qint64 daysLeft = now.daysTo(leaf.notAfter);
    if (daysLeft < request.expiryWarningDays) {
        return check(u"validity"_s,
                title,
                Verdict::Warning,
                u"The certificate expires on %1, in %2 days; renew it before then"_s.arg(until).arg(
                        daysLeft));
    }
    const qint64 lifetime = leaf.notBefore.daysTo(leaf.notAfter);
    if (lifetime > 825) {
        return check(u"validity"_s,
                title,
                Verdict::Warning,
                u"The certificate is valid until %1, but for %2 days in all: Safari and "
                "Apple's platforms refuse server certificates valid for more than 825 days"_s
                        .arg(until)
                        .arg(lifetime));
    }
    return check(u"validity"_s,
            title,
            Verdict::Pass,
            u"Valid from %1 until %2 (%3 days left)."_s
                    .arg(leaf.notBefore.toString(Qt::ISODate), until)
                    .arg(daysLeft));
}

CertificateCheck strengthCheck(const CertificateInspection &inspection)
{
    const QString title = u"Key and signature are strong enough"_s;
    const CertificateInfo &leaf = inspection.chain.constFirst();
    const QString key = leaf.keyDescription();
    if (leaf.keyType == u"RSA" && leaf.keyBits < 2048) {
        return check(u"strength"_s,
                title,
                Verdict::Fail,
                u"The certificate has a %1 key; browsers refuse RSA keys under 2048 bits: make "
                "a new key of 2048 bits or more, or an EC P-256 key"_s.arg(key));
    }
    if (leaf.keyType == u"EC" && leaf.keyBits < 256) {
        return check(u"strength"_s,
                title,
                Verdict::Fail,
                u"The certificate has a %1 key; browsers accept EC keys on P-256 and P-384: "
                "make a new P-256 key"_s.arg(key));
    }
    if (leaf.keyType != u"RSA" && leaf.keyType != u"EC") {
        return check(u"strength"_s,
                title,
                Verdict::Fail,
                u"The certificate has a %1 key, which browsers do not accept in server "
                "certificates; use EC P-256 or RSA 2048 or more"_s.arg(key));
    }
    for (const CertificateInfo &cert : inspection.chain) {
        const QString algorithm = cert.signatureAlgorithm.toLower();
        if (algorithm.contains(u"sha1") || algorithm.contains(u"md5")) {
            return check(u"strength"_s,
                    title,
                    Verdict::Fail,
                    u"%1 is signed with %2, which browsers refuse; have it signed again with "
                    "SHA-256"_s.arg(cert.subject, cert.signatureAlgorithm));
        }
    }
    return check(u"strength"_s,
            title,
            Verdict::Pass,
            u"The key is %1; the certificate is signed with %2."_s.arg(
                    key, leaf.signatureAlgorithm));
}

// CG-05: what makes a certificate acceptable as a server's, beyond its names and dates.
CertificateCheck leafCheck(const CertificateInfo &leaf)
{
    const QString title = u"It is a server certificate"_s;
    if (leaf.isCa) {
        return check(u"leaf"_s,
                title,
                Verdict::Fail,
                u"The certificate is a CA (basicConstraints CA:TRUE); Firefox refuses a CA "
                "used as a server's certificate: serve a certificate the CA signed instead"_s);
    }
    if (!leaf.extendedKeyUsage.isEmpty() && !leaf.extendedKeyUsage.contains(u"serverAuth")
            && !leaf.extendedKeyUsage.contains(u"anyExtendedKeyUsage")) {
        return check(u"leaf"_s,
                title,
                Verdict::Fail,
                u"Its extended key usage (%1) does not include serverAuth, so browsers refuse "
                "it for a server"_s.arg(leaf.extendedKeyUsage.join(u", "_s)));
    }
    if (!leaf.keyUsage.isEmpty() && !leaf.keyUsage.contains(u"digitalSignature")
            && !(leaf.keyType == u"RSA" && leaf.keyUsage.contains(u"keyEncipherment"))) {
        return check(u"leaf"_s,
                title,
                Verdict::Fail,
                u"Its key usage (%1) lacks digitalSignature, which TLS needs"_s.arg(
                        leaf.keyUsage.join(u", "_s)));
    }
    if (!leaf.hasSubjectAltName) {
        return check(u"leaf"_s,
                title,
                Verdict::Fail,
                u"It has no subjectAltName: browsers ignore the subject CN and match names "
                "only against the subjectAltName"_s);
    }
    return check(u"leaf"_s,
            title,
            Verdict::Pass,
            u"Not a CA, usable for serverAuth, names in its subjectAltName (%1)."_s.arg(
                    leaf.names().join(u", "_s)));
}

CertificateCheck tlsCheck()
{
    const QString title = u"TLS 1.2 or newer offered"_s;
    if (!QSslSocket::supportsSsl() || !QSslSocket::isProtocolSupported(QSsl::TlsV1_2)) {
        return check(u"tls"_s,
                title,
                Verdict::Fail,
                u"This machine's TLS backend (%1) offers no TLS 1.2; install OpenSSL 3"_s.arg(
                        QSslSocket::sslLibraryVersionString()));
    }
    const bool tls13 = QSslSocket::isProtocolSupported(QSsl::TlsV1_3);
    return check(u"tls"_s,
            title,
            Verdict::Pass,
            u"The proxy offers TLS 1.2%1 only (%2)."_s.arg(
                    tls13 ? u" and 1.3"_s : QString(), QSslSocket::sslLibraryVersionString()));
}

} // namespace

bool CheckReport::passed() const
{
    return worst() != Verdict::Fail;
}

Verdict CheckReport::worst() const
{
    Verdict result = Verdict::Pass;
    for (const CertificateCheck &item : checks)
        result = std::max(result, item.verdict);
    return result;
}

QString verdictName(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Pass:
        return u"ok"_s;
    case Verdict::Warning:
        return u"warning"_s;
    case Verdict::Fail:
        break;
    }
    return u"FAILED"_s;
}

CheckRequest checkRequestFrom(const ProxySettings &settings, const QStringList &hostnames)
{
    CheckRequest request;
    request.certPath = settings.sslCert;
    request.keyPath = settings.sslKey;
    request.caPath = settings.sslCa;
    request.passphrase.file = settings.sslKeyPassphraseFile;
    request.hostnames = hostnames;
    return request;
}

Result<CheckReport> checkCertificate(const CheckRequest &request)
{
    Result<CertificateInspection> inspection = inspectCertificate(
            request.certPath, request.keyPath, request.caPath, request.passphrase);
    if (!inspection)
        return inspection.error();
    const QDateTime now =
            request.now.isValid() ? request.now.toUTC() : QDateTime::currentDateTimeUtc();

    CheckReport report;
    report.inspection = std::move(inspection.value());
    const CertificateInspection &found = report.inspection;
    const CertificateInfo &leaf = found.chain.constFirst();
    report.checks << keyCheck(request, found);
    if (found.key.exists)
        report.checks << keyFileCheck(request, found);
    report.checks << chainCheck(request, found) << validityCheck(request, leaf, now);
    for (const QString &host : request.hostnames) {
        const HostMatch match = matchHost(leaf, host);
        report.checks << check(u"name"_s,
                u"%1 is a name in the certificate"_s.arg(host),
                match.matches ? Verdict::Pass : Verdict::Fail,
                match.sentence);
    }
    report.checks << strengthCheck(found) << leafCheck(leaf) << tlsCheck();
    return report;
}

} // namespace StudioProxy

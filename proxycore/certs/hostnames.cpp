#include "certs/hostnames.h"

#include <QHostAddress>
#include <QRegularExpression>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

QString stripBrackets(const QString &host)
{
    return host.startsWith(u'[') && host.endsWith(u']') ? host.mid(1, host.size() - 2) : host;
}

QString normalised(const QString &name)
{
    QString result = name.trimmed().toLower();
    if (result.endsWith(u'.'))
        result.chop(1);
    return result;
}

bool dnsNameMatches(const QString &pattern, const QString &host)
{
    if (pattern == host)
        return true;
    if (!pattern.startsWith(u"*."))
        return false;
    const QString base = pattern.mid(2);
    const qsizetype firstDot = host.indexOf(u'.');
    // One whole label, under a base of two labels or more ("*.test" matches nothing).
    return base.contains(u'.') && firstDot > 0 && host.mid(firstDot + 1) == base;
}

} // namespace

bool isIpAddress(const QString &host)
{
    QHostAddress address;
    return address.setAddress(stripBrackets(host));
}

HostMatch matchHost(const CertificateInfo &certificate, const QString &host)
{
    const QString subject = certificate.commonName.isEmpty() ? certificate.subject
                                                             : u"CN="_s + certificate.commonName;
    if (!certificate.hasSubjectAltName) {
        return { false,
            u"%1 is not a name in the certificate: it has no subjectAltName, and browsers "
            "ignore the subject (%2); make a certificate with %1 in its subjectAltName"_s.arg(
                    host, subject) };
    }

    if (isIpAddress(host)) {
        const QHostAddress address(stripBrackets(host));
        for (const QString &listed : certificate.ipAddresses) {
            if (QHostAddress(listed) == address)
                return { true, u"%1 is an IP address in the certificate"_s.arg(host) };
        }
        QString sentence = u"%1 is an IP address, and the certificate has no IP SAN for it "
                           "(its names: %2); browsers match an address only against IP "
                           "entries"_s.arg(host, certificate.names().join(u", "_s));
        if (certificate.dnsNames.contains(stripBrackets(host), Qt::CaseInsensitive))
            sentence += u": %1 is listed as a DNS name, which does not count"_s.arg(host);
        return { false, sentence + u"; add IP:%1 to the certificate"_s.arg(address.toString()) };
    }

    const QString name = normalised(host);
    for (const QString &pattern : certificate.dnsNames) {
        if (dnsNameMatches(normalised(pattern), name)) {
            return { true,
                pattern.startsWith(u"*.")
                        ? u"%1 is covered by the name %2 in the certificate"_s.arg(host, pattern)
                        : u"%1 is a name in the certificate"_s.arg(host) };
        }
    }
    QString sentence = u"%1 is not a name in the certificate (its names: %2)"_s.arg(
            host, certificate.names().join(u", "_s));
    if (normalised(certificate.commonName) == name)
        sentence += u"; it is the subject CN, which browsers ignore"_s;
    for (const QString &pattern : certificate.dnsNames) {
        if (pattern.startsWith(u"*.") && name.endsWith(normalised(pattern.mid(1)))) {
            sentence += u"; the wildcard %1 covers one label only, not %2"_s.arg(pattern, host);
            break;
        }
    }
    return { false,
        sentence + u"; use a certificate whose subjectAltName lists DNS:%1"_s.arg(host) };
}

Result<void> checkHostForCertificate(const QString &host)
{
    if (host.isEmpty())
        return Error { ErrorCode::InvalidValue, u"an empty host name"_s };
    if (isIpAddress(host))
        return {};

    static const QRegularExpression label(
            u"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"_s, QRegularExpression::CaseInsensitiveOption);
    const QString name = host.endsWith(u'.') ? host.chopped(1) : host;
    QStringList labels = name.split(u'.');
    if (labels.constFirst() == u"*") {
        labels.removeFirst();
        if (labels.size() < 2) {
            return Error { ErrorCode::InvalidValue,
                u"%1: a wildcard must stand for one label under a name of two labels or more "
                "(*.example.test, not *.test); browsers refuse wildcards directly under a "
                "top-level name such as .test or .localhost"_s.arg(host) };
        }
    }
    // No top-level domain is all digits (RFC 3696 section 2): such a name is an address
    // mistyped (300.1.1.1, 10.0.0.256), which a browser would never look up as a name.
    static const QRegularExpression digits(u"^[0-9]+$"_s);
    if (digits.match(labels.constLast()).hasMatch()) {
        return Error { ErrorCode::InvalidValue,
            u"%1 is not an IP address (each IPv4 part is 0 to 255), and a DNS "
            "name cannot end in a number"_s.arg(host) };
    }
    if (name.size() > 253)
        return Error { ErrorCode::InvalidValue,
            u"%1: a DNS name has 253 characters at most"_s.arg(host) };
    for (const QString &part : std::as_const(labels)) {
        if (part.contains(u'*')) {
            return Error { ErrorCode::InvalidValue,
                u"%1: a wildcard may only be the whole left-most label (*.example.test); "
                "browsers ignore partial wildcards such as a*.example.test"_s.arg(host) };
        }
        if (!label.match(part).hasMatch()) {
            return Error { ErrorCode::InvalidValue,
                u"%1 is neither an IP address nor a DNS name (labels of letters, digits and "
                "inner hyphens, 63 characters at most)"_s.arg(host) };
        }
    }
    return {};
}

} // namespace StudioProxy

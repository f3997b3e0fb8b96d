#pragma once

#include "certs/certinspection.h"
#include "util/result.h"

#include <QString>

namespace StudioProxy {

// Whether a hostname a browser uses is a name in a certificate, by the rules browsers apply
// (RFC 6125 as Chromium and Firefox narrow it): only the subjectAltName counts, never the
// subject CN; an address matches an iPAddress entry only; a wildcard stands for exactly one
// whole left-most label.
struct HostMatch
{
    bool matches = false;
    QString sentence; // why, in words an admin can act on
};

HostMatch matchHost(const CertificateInfo &certificate, const QString &host);

// Whether host is an IP address (IPv6 with or without brackets).
bool isIpAddress(const QString &host);

// Whether a name may go into a generated certificate: an address, a DNS name, or a wildcard
// over one label of a name that has at least two (browsers refuse "*.test").
Result<void> checkHostForCertificate(const QString &host);

} // namespace StudioProxy

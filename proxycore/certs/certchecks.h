#pragma once

#include "certs/certinspection.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

namespace StudioProxy {

struct ProxySettings;

enum class Verdict {
    Pass,
    Warning, // works today, but an admin should act (expires soon, key readable by others)
    Fail, // a browser will refuse the connection, or the proxy will not start
};

// One check with its verdict and a sentence that says what to do about it.
struct CertificateCheck
{
    QString name; // "key", "chain", "validity", "name", "strength", "leaf", "tls", "key file"
    QString title; // "Key matches the certificate", "localhost is a name in it", ...
    Verdict verdict = Verdict::Pass;
    QString sentence;
};

// What to check: the files the proxy serves and the hostnames Studio uses to reach it.
struct CheckRequest
{
    QString certPath;
    QString keyPath;
    QString caPath; // optional: intermediates and the root the chain should end at
    KeyPassphrase passphrase;
    QStringList hostnames;
    QDateTime now; // invalid: the current time
    bool useSystemStore = true; // also accept roots from OpenSSL's default trust store
    int expiryWarningDays = 30;
};

struct CheckReport
{
    CertificateInspection inspection;
    QList<CertificateCheck> checks;

    bool passed() const; // no check failed
    Verdict worst() const;
};

// The files and hostnames to check for a proxy configured as settings says.
CheckRequest checkRequestFrom(const ProxySettings &settings, const QStringList &hostnames);

// Every check on the certificate, its key, chain, dates and names. A certificate file that
// cannot be read is the only error; everything else is a verdict in the report.
Result<CheckReport> checkCertificate(const CheckRequest &request);

QString verdictName(Verdict verdict); // "ok", "warning", "FAILED"

} // namespace StudioProxy

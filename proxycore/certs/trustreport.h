#pragma once

#include "util/result.h"

#include <QDir>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace StudioProxy {

// One place a browser or the system looks for trusted roots.
struct TrustStore
{
    enum class Kind { System, Nss };

    Kind kind = Kind::Nss;
    QString application; // "Chromium", "Firefox (profile default-release)", "Debian system store"
    QString location; // the NSS database folder, or the system bundle
    bool exists = false;
    std::optional<bool> holdsCa; // unknown when it could not be read
    QString sentence;
    QStringList commands; // what makes it trust the CA (or creates it first)
};

struct TrustReportOptions
{
    QString home = QDir::homePath();
    QString systemBundle = QStringLiteral("/etc/ssl/certs/ca-certificates.crt");
    QString localCaFolder = QStringLiteral("/usr/local/share/ca-certificates");
    QString certutil = QStringLiteral("certutil"); // found in PATH
};

// Where Chromium, Firefox and Debian look for roots on Linux (CG-07, CG-08), and whether each
// holds our CA, compared by SHA-256 fingerprint, with the exact commands that fix each one.
struct TrustReport
{
    static constexpr const char *Nickname = "Studio Proxy development CA";

    QString caPath;
    QString caFingerprint;
    QString caSubject;
    bool certutilFound = false;
    QList<TrustStore> stores;

    static Result<TrustReport> build(
            const QString &caPath, const TrustReportOptions &options = TrustReportOptions());
};

} // namespace StudioProxy

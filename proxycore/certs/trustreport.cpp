#include "certs/trustreport.h"

#include "certs/certinspection.h"

#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

QString quoted(const QString &path)
{
    static const QString safe = u"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                "/._-+:@"_s;
    const bool plain =
            std::all_of(path.begin(), path.end(), [](QChar c) { return safe.contains(c); });
    return plain ? path : u"'"_s + QString(path).replace(u"'"_s, u"'\\''"_s) + u"'"_s;
}

// Fingerprints of every certificate in a PEM bundle.
QStringList fingerprintsIn(const QByteArray &pem)
{
    QStringList result;
    Result<std::vector<OpenSsl::X509Ptr>> certificates = OpenSsl::certificatesFromPem(pem);
    if (certificates) {
        for (const OpenSsl::X509Ptr &cert : certificates.value())
            result << OpenSsl::fingerprint(cert.get());
    }
    return result;
}

struct CertutilRun
{
    bool ran = false;
    QByteArray output;
};

CertutilRun certutil(const QString &program, const QStringList &arguments)
{
    QProcess process;
    process.setStandardInputFile(QProcess::nullDevice());
    process.start(program, arguments);
    if (!process.waitForFinished(15000)) {
        process.kill();
        process.waitForFinished(1000);
        return {};
    }
    return { process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0,
        process.readAllStandardOutput() };
}

// Whether the NSS database holds the CA as a trusted root for servers ("C" in the SSL
// field): each nickname is exported and compared by fingerprint, because nicknames are
// chosen by whoever added the certificate.
std::optional<bool> nssHoldsCa(
        const QString &program, const QString &folder, const QString &fingerprint, QString *detail)
{
    const CertutilRun list = certutil(program, { u"-L"_s, u"-d"_s, u"sql:"_s + folder });
    if (!list.ran)
        return std::nullopt;
    for (const QByteArray &rawLine : list.output.split('\n')) {
        const QString line = QString::fromUtf8(rawLine).trimmed();
        const qsizetype gap = line.lastIndexOf(u' ');
        if (gap < 0)
            continue;
        const QString trust = line.mid(gap + 1);
        if (trust.count(u',') != 2)
            continue;
        const QString nickname = line.left(gap).trimmed();
        const CertutilRun exported = certutil(
                program, { u"-L"_s, u"-d"_s, u"sql:"_s + folder, u"-n"_s, nickname, u"-a"_s });
        if (!exported.ran || !fingerprintsIn(exported.output).contains(fingerprint))
            continue;
        if (!trust.section(u',', 0, 0).contains(u'C')) {
            *detail = u"holds the CA as \"%1\" but does not trust it for servers (trust %2)"_s.arg(
                    nickname, trust);
            return false;
        }
        *detail = u"trusts the CA as \"%1\""_s.arg(nickname);
        return true;
    }
    *detail = u"does not hold the CA"_s;
    return false;
}

struct NssLocation
{
    QString application;
    QString folder;
    bool createWhenMissing = false;
};

QList<NssLocation> firefoxProfiles(const QString &home)
{
    QList<NssLocation> result;
    const QString xdgConfig = qEnvironmentVariable("XDG_CONFIG_HOME", home + u"/.config"_s);
    const QList<std::pair<QString, QString>> roots = {
        { u"Firefox"_s, home + u"/.mozilla/firefox"_s },
        { u"Firefox"_s, xdgConfig + u"/mozilla/firefox"_s },
        { u"Firefox (snap)"_s, home + u"/snap/firefox/common/.mozilla/firefox"_s },
        { u"Firefox (Flatpak)"_s, home + u"/.var/app/org.mozilla.firefox/.mozilla/firefox"_s },
    };
    for (const auto &[application, root] : roots) {
        const QString ini = root + u"/profiles.ini"_s;
        if (!QFileInfo::exists(ini))
            continue;
        QSettings profiles(ini, QSettings::IniFormat);
        for (const QString &group : profiles.childGroups()) {
            if (!group.startsWith(u"Profile"))
                continue;
            profiles.beginGroup(group);
            const QString path = profiles.value(u"Path"_s).toString();
            const bool relative = profiles.value(u"IsRelative"_s, 1).toInt() == 1;
            const QString name = profiles.value(u"Name"_s, path).toString();
            profiles.endGroup();
            if (!path.isEmpty()) {
                result << NssLocation { u"%1, profile %2"_s.arg(application, name),
                    relative ? root + u'/' + path : path };
            }
        }
    }
    return result;
}

} // namespace

Result<TrustReport> TrustReport::build(const QString &caPath, const TrustReportOptions &options)
{
    Result<QList<CertificateInfo>> ca = inspectCertificateFile(caPath);
    if (!ca)
        return ca.error();
    // Trusting a server certificate itself works in no browser: they trust issuers only.
    if (const CertificateInfo &leaf = ca->constFirst(); !leaf.isCa) {
        return Error { ErrorCode::InvalidValue,
            leaf.issuer == leaf.subject
                    ? u"%1 is a self-signed server certificate and not a CA certificate (no "
                      "basicConstraints CA:TRUE): browsers do not take it as an issuer; make a "
                      "CA and a certificate it signs with studio-proxy cert generate"_s.arg(caPath)
                    : u"%1 is not a CA certificate (no basicConstraints CA:TRUE); trust the "
                      "CA that issued it (%2) instead"_s.arg(caPath, leaf.issuer) };
    }
    TrustReport report;
    report.caPath = QFileInfo(caPath).absoluteFilePath();
    report.caFingerprint = ca->constFirst().fingerprint;
    report.caSubject = ca->constFirst().subject;
    const QString program = QStandardPaths::findExecutable(options.certutil).isEmpty()
            ? (QFileInfo(options.certutil).isExecutable() ? options.certutil : QString())
            : QStandardPaths::findExecutable(options.certutil);
    report.certutilFound = !program.isEmpty();
    const QString home = options.home;

    // The system store: update-ca-certificates reads PEM files named *.crt (CG-08).
    TrustStore system;
    system.kind = TrustStore::Kind::System;
    system.application = u"Debian system store (curl, Node, OpenSSL; Firefox and Chromium do "
                         "not read it on Linux)"_s;
    system.location = options.systemBundle;
    QFile bundle(options.systemBundle);
    system.exists = bundle.open(QIODevice::ReadOnly);
    const QString localCopy = options.localCaFolder + u"/studio-proxy-development-ca.crt"_s;
    if (system.exists) {
        system.holdsCa = fingerprintsIn(bundle.readAll()).contains(report.caFingerprint);
        system.sentence = *system.holdsCa ? u"%1 holds the CA."_s.arg(options.systemBundle)
                                          : u"%1 does not hold the CA."_s.arg(options.systemBundle);
    } else {
        system.sentence =
                u"%1 does not exist (package ca-certificates)."_s.arg(options.systemBundle);
    }
    if (!system.holdsCa.value_or(false)) {
        system.commands << u"sudo cp %1 %2"_s.arg(quoted(report.caPath), quoted(localCopy))
                        << u"sudo update-ca-certificates"_s;
    }
    report.stores << system;

    QList<NssLocation> locations = {
        { u"Chromium and Chrome"_s, home + u"/.pki/nssdb"_s, true },
        { u"Chromium and Chrome (newer)"_s, home + u"/.local/share/pki/nssdb"_s },
        { u"Chromium (snap)"_s, home + u"/snap/chromium/current/.pki/nssdb"_s },
        { u"Chromium (Flatpak)"_s, home + u"/.var/app/org.chromium.Chromium/.pki/nssdb"_s },
    };
    locations << firefoxProfiles(home);
    const QString addCommand = u"certutil -A -d sql:%1 -t C,, -n \"%2\" -i %3"_s;
    for (const NssLocation &location : std::as_const(locations)) {
        TrustStore store;
        store.application = location.application;
        store.location = location.folder;
        store.exists = QFileInfo::exists(location.folder + u"/cert9.db"_s);
        const QString add = addCommand.arg(
                quoted(location.folder), QString::fromLatin1(Nickname), quoted(report.caPath));
        if (!store.exists) {
            if (!location.createWhenMissing)
                continue;
            store.sentence = u"No NSS database yet; create one, then add the CA."_s;
            store.commands << u"mkdir -p %1"_s.arg(quoted(location.folder))
                           << u"certutil -N -d sql:%1 --empty-password"_s.arg(
                                      quoted(location.folder))
                           << add;
            report.stores << store;
            continue;
        }
        if (!report.certutilFound) {
            store.sentence = u"certutil is missing, so it cannot be read: install "
                             "libnss3-tools."_s;
            store.commands << add;
            report.stores << store;
            continue;
        }
        QString detail;
        store.holdsCa = nssHoldsCa(program, location.folder, report.caFingerprint, &detail);
        store.sentence = store.holdsCa.has_value()
                ? u"The database %1."_s.arg(detail)
                : u"certutil could not read the database (is the browser holding it locked?)."_s;
        if (!store.holdsCa.value_or(false))
            store.commands << add;
        report.stores << store;
    }
    return report;
}

} // namespace StudioProxy

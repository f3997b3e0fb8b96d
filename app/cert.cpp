#include "cert.h"

#include "certs/certchecks.h"
#include "certs/certgenerator.h"
#include "certs/certinspection.h"
#include "certs/trustreport.h"
#include "config/configfile.h"
#include "config/proxysettings.h"
#include "config/runtimevariables.h"

#include <QCommandLineParser>
#include <QFileInfo>

#include <cstdio>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

namespace {

void print(const QString &text)
{
    std::fputs(qUtf8Printable(text), stdout);
}

int failWith(const QString &message, int code = 1)
{
    std::fprintf(stderr, "studio-proxy cert: %s\n", qUtf8Printable(message));
    return code;
}

QString describe(const CertificateInfo &cert, const QString &indent)
{
    QString text;
    const auto line = [&](const QString &label, const QString &value) {
        text += indent + QString(label + u':').leftJustified(21) + value + u'\n';
    };
    line(u"subject"_s, cert.subject);
    line(u"issuer"_s, cert.issuer);
    line(u"names"_s,
            cert.hasSubjectAltName ? cert.names().join(u", "_s) : u"(no subjectAltName)"_s);
    line(u"valid from"_s, cert.notBefore.toString(Qt::ISODate));
    line(u"valid until"_s, cert.notAfter.toString(Qt::ISODate));
    line(u"key"_s, cert.keyDescription());
    line(u"signature"_s, cert.signatureAlgorithm);
    line(u"SHA-256 fingerprint"_s, cert.fingerprint);
    QStringList usage;
    if (cert.hasBasicConstraints)
        usage << (cert.isCa ? u"CA:TRUE"_s : u"CA:FALSE"_s);
    usage << cert.keyUsage << cert.extendedKeyUsage;
    line(u"usage"_s, usage.isEmpty() ? u"(none stated)"_s : usage.join(u", "_s));
    return text;
}

QString describe(const CertificateInspection &inspection)
{
    QString text =
            u"%1: %2 certificate(s)\n"_s.arg(inspection.certPath).arg(inspection.inFile.size());
    for (qsizetype i = 0; i < inspection.chain.size(); ++i) {
        text += (i == 0 ? u"\nserved first (server certificate):\n"_s
                        : u"\nserved next (issuer %1):\n"_s.arg(i));
        text += describe(inspection.chain.at(i), u"  "_s);
    }
    const KeyFileInfo &key = inspection.key;
    if (!key.path.isEmpty()) {
        text += u"\nkey %1:\n"_s.arg(key.path);
        if (key.loaded) {
            text += u"  %1%2, %3\n"_s.arg(key.curve.isEmpty()
                            ? u"%1 %2"_s.arg(key.keyType).arg(key.keyBits)
                            : key.keyType + u' ' + key.curve,
                    key.encrypted ? u" (encrypted)"_s : QString(),
                    key.matchesLeaf.value_or(false) ? u"matches the server certificate"_s
                                                    : u"matches NO certificate in the file"_s);
        } else {
            text += u"  cannot be read: %1\n"_s.arg(key.error);
        }
        if (key.readableByOthers)
            text += u"  readable by other users: chmod 600 it\n"_s;
    }
    return text;
}

QString describe(const CheckReport &report)
{
    QString text;
    for (const CertificateCheck &check : report.checks) {
        text += u"[%1] %2\n      %3\n"_s.arg(
                verdictName(check.verdict).leftJustified(7), check.title, check.sentence);
    }
    return text;
}

QString describe(const TrustReport &report)
{
    QString text =
            u"To trust the CA %1\n(SHA-256 %2):\n"_s.arg(report.caSubject, report.caFingerprint);
    if (!report.certutilFound) {
        text += u"\ncertutil is not installed (Debian package libnss3-tools): the browsers' "
                "databases cannot be read or changed without it.\n"_s;
    }
    for (const TrustStore &store : report.stores) {
        text += u"\n%1\n  %2\n  %3\n"_s.arg(store.application, store.location, store.sentence);
        if (!store.commands.isEmpty()) {
            text += u"  to fix:\n"_s;
            for (const QString &command : store.commands)
                text += u"    "_s + command + u'\n';
        }
    }
    text += u"\nRestart the browser afterwards; Firefox reads its database only at start.\n"_s;
    return text;
}

int inspect(const QCommandLineParser &parser, const QStringList &positional)
{
    if (positional.size() != 2)
        return failWith(u"inspect takes one FILE"_s, 2);
    const Result<CertificateInspection> inspection = inspectCertificate(positional.at(1),
            parser.value(u"key"_s),
            parser.value(u"ca"_s),
            KeyPassphrase { parser.value(u"passphrase-file"_s), {} });
    if (!inspection)
        return failWith(inspection.error().message);
    print(describe(inspection.value()));
    return 0;
}

int check(const QCommandLineParser &parser)
{
    // Studio's own cluster list (studio.hcl) would add its hostnames here; until the
    // proxy reads that file, the hostnames come from --host.
    if (parser.isSet(u"studio-state"_s)) {
        return failWith(u"--studio-state is not supported by this build yet; name the "
                        "hostnames Studio uses with --host NAME"_s,
                2);
    }
    CheckRequest request;
    if (parser.isSet(u"config"_s)) {
        const Result<ConfigFile> config = ConfigFile::read(parser.value(u"config"_s));
        if (!config)
            return failWith(config.error().message);
        // Only the rules on the proxy's port and SSL files: the engine and the log folder,
        // which starting the proxy also needs, play no part in the certificate.
        const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config.value());
        if (!variables)
            return failWith(variables.error().message);
        const Result<ProxySettings> settings = applyVariables(variables.value());
        if (!settings)
            return failWith(settings.error().message);
        if (settings->protocol != ProxyProtocol::Tls) {
            return failWith(u"%1 sets %2, not https_proxy_port: the proxy serves no "
                            "certificate"_s.arg(parser.value(u"config"_s), settings->portKey));
        }
        request = checkRequestFrom(settings.value(), parser.values(u"host"_s));
    } else if (parser.isSet(u"cert"_s)) {
        request.certPath = parser.value(u"cert"_s);
        request.keyPath = parser.value(u"key"_s);
        request.caPath = parser.value(u"ca"_s);
        request.passphrase.file = parser.value(u"passphrase-file"_s);
        request.hostnames = parser.values(u"host"_s);
    } else {
        return failWith(u"check needs --config FILE (or --cert FILE --key FILE)"_s, 2);
    }
    if (parser.isSet(u"passphrase-file"_s))
        request.passphrase.file = parser.value(u"passphrase-file"_s);

    const Result<CheckReport> report = checkCertificate(request);
    if (!report)
        return failWith(report.error().message);
    print(describe(report.value()));
    if (request.hostnames.isEmpty())
        print(u"\n(name the hostnames Studio uses with --host NAME to check them too)\n"_s);
    return report->passed() ? 0 : 1;
}

int generate(const QCommandLineParser &parser)
{
    GenerateRequest request;
    request.hosts = parser.values(u"host"_s);
    request.outputFolder = parser.value(u"out"_s);
    if (request.outputFolder.isEmpty())
        return failWith(u"generate needs --out DIR"_s, 2);
    if (request.hosts.isEmpty())
        return failWith(u"generate needs at least one --host NAME"_s, 2);
    if (parser.isSet(u"rsa"_s)) {
        request.algorithm = KeyAlgorithm::Rsa;
        bool ok = false;
        request.rsaBits = parser.value(u"rsa"_s).toInt(&ok);
        if (!ok)
            return failWith(u"--rsa takes a number of bits"_s, 2);
    }
    if (parser.isSet(u"days"_s)) {
        bool ok = false;
        request.leafDays = parser.value(u"days"_s).toInt(&ok);
        if (!ok)
            return failWith(u"--days takes a number of days"_s, 2);
    }

    const Result<GeneratedCertificates> files = CertificateGenerator::generate(request);
    if (!files)
        return failWith(files.error().message);
    print(u"%1 the development CA %2 (key %3)\n"_s.arg(
            files->caReused ? u"Used"_s : u"Made"_s, files->caCert, files->caKey));
    print(u"Made the server certificate %1 for %2 (key %3)\n"_s.arg(
            files->cert, request.hosts.join(u", "_s), files->key));
    print(u"The CA also as %1 (PEM, for update-ca-certificates) and %2 (DER)\n"_s.arg(
            files->caCrt, files->caDer));
    for (const QString &backup : files->backups)
        print(u"Kept the previous file as %1\n"_s.arg(backup));

    if (parser.isSet(u"config"_s)) {
        const Result<QList<ConfigUpdate>> updates =
                CertificateGenerator::useInConfig(parser.value(u"config"_s), files.value());
        if (!updates)
            return failWith(updates.error().message);
        for (const ConfigUpdate &update : updates.value()) {
            print(update.backup.isEmpty()
                            ? u"%1: %2 (already so)\n"_s.arg(update.file, update.change)
                            : u"%1: %2 (previous version in %3)\n"_s.arg(
                                    update.file, update.change, update.backup));
        }
        print(u"Restart the proxy (studio-proxy ctl restart) to serve the new certificate.\n"_s);
    }
    const Result<TrustReport> trust = TrustReport::build(files->caCrt);
    if (trust)
        print(u"\n"_s + describe(trust.value()));
    return 0;
}

int trust(const QCommandLineParser &parser)
{
    if (!parser.isSet(u"ca"_s))
        return failWith(u"trust needs --ca FILE"_s, 2);
    const Result<TrustReport> report = TrustReport::build(parser.value(u"ca"_s));
    if (!report)
        return failWith(report.error().message);
    print(describe(report.value()));
    return 0;
}

} // namespace

int runCert(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
            u"Inspects, checks and makes the TLS certificates the proxy serves.\n\n"
            "Commands:\n"
            "  inspect FILE [--key KEY] [--ca FILE]   what a certificate (chain) file holds\n"
            "  check --config FILE [--host NAME]...   every check; exits 1 when one fails\n"
            "  check --cert FILE --key KEY [--ca FILE] [--host NAME]...\n"
            "  generate --host NAME... --out DIR [--config FILE] [--rsa BITS] [--days N]\n"
            "                                         a development CA and a certificate it "
            "signed\n"
            "  trust --ca FILE                        where browsers look, and how to make "
            "them trust it"_s);
    parser.addHelpOption();
    parser.addOptions({
            { u"config"_s,
                    u"check: the engine's config file; generate: set ssl_cert and ssl_key "
                    "in it."_s,
                    u"FILE"_s },
            { u"host"_s, u"A hostname or address Studio uses (repeat for more)."_s, u"NAME"_s },
            { u"cert"_s, u"check: the certificate file, without a config file."_s, u"FILE"_s },
            { u"key"_s, u"The private key file."_s, u"KEY"_s },
            { u"ca"_s, u"The CA file (ssl_ca; for trust, the CA certificate)."_s, u"FILE"_s },
            { u"passphrase-file"_s, u"The encrypted key's passphrase, first line."_s, u"FILE"_s },
            { u"studio-state"_s, u"check: Studio's state file (studio.hcl)."_s, u"FILE"_s },
            { u"out"_s, u"generate: the folder for the files."_s, u"DIR"_s },
            { u"rsa"_s, u"generate: RSA keys of BITS (default: EC P-256)."_s, u"BITS"_s },
            { u"days"_s,
                    u"generate: the server certificate's days (default 397, at most 825)."_s,
                    u"N"_s },
    });
    parser.addPositionalArgument(u"command"_s, u"inspect, check, generate or trust"_s);
    if (!parser.parse(arguments))
        return failWith(parser.errorText(), 2);
    if (parser.isSet(u"help"_s)) {
        print(parser.helpText());
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    const QString command = positional.value(0);
    if (command == u"inspect")
        return inspect(parser, positional);
    if (positional.size() > 1)
        return failWith(u"%1 takes no arguments besides its options"_s.arg(command), 2);
    if (command == u"check")
        return check(parser);
    if (command == u"generate")
        return generate(parser);
    if (command == u"trust")
        return trust(parser);
    return failWith(u"expected a command: inspect, check, generate or trust"_s, 2);
}

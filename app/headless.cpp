#include "headless.h"

#include "signalwatcher.h"

#include "certs/tlsidentity.h"
#include "config/configfile.h"
#include "config/proxysettings.h"
#include "log/eventlog.h"
#include "proxy/proxy.h"

#include <QCoreApplication>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <optional>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

namespace {

// Startup failures end with one line on stderr naming what to fix, and exit code 1.
int fail(const Error &error, EventLog *log = nullptr)
{
    if (log)
        log->error(u"startup failed: "_s + error.message);
    std::fprintf(stderr, "studio-proxy: %s\n", qUtf8Printable(error.message));
    return 1;
}

// Sessions get this long to close cleanly after SIGTERM before the process exits anyway.
constexpr int ShutdownGraceMs = 3000;

} // namespace

int runHeadless(const QString &configPath, const QString &logFolderOverride)
{
    const Result<ConfigFile> config = ConfigFile::read(configPath);
    if (!config)
        return fail(config.error());
    const Result<ProxySettings> settings = proxySettingsFrom(config.value(), logFolderOverride);
    if (!settings)
        return fail(settings.error());

    EventLog log;
    if (const Result<void> opened = log.open(settings->logFolder); !opened)
        return fail(opened.error());

    std::optional<TlsIdentity> tls;
    if (settings->protocol == ProxyProtocol::Tls) {
        Result<TlsIdentity> identity =
                TlsIdentity::load(settings->sslCert, settings->sslKey, settings->sslCa);
        if (!identity)
            return fail(identity.error(), &log);
        tls = std::move(identity.value());
        for (const QString &warning : tls->warnings()) {
            log.warning(warning);
            std::fprintf(stderr, "studio-proxy: warning: %s\n", qUtf8Printable(warning));
        }
    }

    // Installed before the proxy says it serves: a service manager may send SIGTERM as soon
    // as it reads that line, and the shutdown must be clean from then on.
    Proxy proxy(&log);
    SignalWatcher signals_({ SIGTERM, SIGINT });
    QObject::connect(&signals_, &SignalWatcher::received, &proxy, [&](int signalNumber) {
        log.info(u"stopping on signal %1; closing %2 session(s)"_s.arg(signalNumber)
                         .arg(proxy.sessionCount()));
        proxy.stop();
        QTimer::singleShot(ShutdownGraceMs, qApp, &QCoreApplication::quit);
    });
    QObject::connect(&proxy, &Proxy::stopped, qApp, &QCoreApplication::quit);

    if (const Result<void> started = proxy.start(settings.value(), tls); !started)
        return fail(started.error(), &log);

    const QString serving =
            u"listening on port %1 of all addresses (%2://localhost:%1/), "
            "relaying to %3"_s.arg(
                    QString::number(proxy.port()), settings->scheme(), settings->engine.toString());
    log.info(u"studio-proxy %1 started with %2"_s.arg(
            QCoreApplication::applicationVersion(), settings->configPath));
    log.info(serving);
    std::printf("studio-proxy: %s\nstudio-proxy: log: %s\n",
            qUtf8Printable(serving),
            qUtf8Printable(log.filePath()));
    std::fflush(stdout);

    const int code = QCoreApplication::exec();
    log.info(u"stopped"_s);
    return code;
}

#include "headless.h"

#include "signalwatcher.h"

#include "config/configfile.h"
#include "config/proxysettings.h"
#include "config/runtimevariables.h"
#include "control/controlserver.h"
#include "control/controlsocket.h"
#include "control/proxycontroller.h"
#include "log/eventlog.h"

#include <QCoreApplication>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <sys/resource.h>

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

namespace {

// Two descriptors per session, one per connection still in its handshake: the soft limit
// (often 1024) would fail the listener long before proxy_max_sessions. The hard limit is
// what the admin allows; take it.
void raiseDescriptorLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// SIGHUP, sent by logrotate's postrotate (systemctl reload): the log file was renamed, so
// start a new one under the old name. Sessions are not touched.
void reopenLog(EventLog &log, ProxyController &controller)
{
    if (const Result<void> reopened = log.reopen(); !reopened) {
        const QString message = u"cannot reopen the log on SIGHUP (%1); still writing to the "
                                "file already open"_s.arg(reopened.error().message);
        log.warning(message);
        std::fprintf(stderr, "studio-proxy: warning: %s\n", qUtf8Printable(message));
        return;
    }
    log.info(u"log reopened on SIGHUP; %1 session(s) open"_s.arg(
            controller.status()->activeSessions));
}

} // namespace

int runHeadless(const HeadlessOptions &options)
{
    raiseDescriptorLimit();

    const Result<ConfigFile> config = ConfigFile::read(options.configPath);
    if (!config)
        return fail(config.error());
    const Result<ProxySettings> settings = proxySettingsFrom(config.value(), options.logFolder);
    if (!settings)
        return fail(settings.error());
    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config.value());
    if (!variables)
        return fail(variables.error());

    EventLog log;
    if (const Result<void> opened = log.open(settings->logFolder); !opened)
        return fail(opened.error());

    ProxyController controller(config.value(), variables.value(), settings.value(), &log);

    // Installed before the proxy says it serves: a service manager may send SIGTERM as soon
    // as it reads that line, and the shutdown must be clean from then on.
    SignalWatcher signals_({ SIGTERM, SIGINT, SIGHUP });
    QObject::connect(&signals_, &SignalWatcher::received, &controller, [&](int signalNumber) {
        if (signalNumber == SIGHUP) {
            reopenLog(log, controller);
            return;
        }
        log.info(u"stopping on signal %1; closing %2 session(s)"_s.arg(signalNumber)
                         .arg(controller.status()->activeSessions));
        controller.stop();
        QTimer::singleShot(ShutdownGraceMs, qApp, &QCoreApplication::quit);
    });
    QObject::connect(&controller, &ProxyController::stopped, qApp, &QCoreApplication::quit);

    // The control socket first: a second proxy for the same config must not start serving.
    ControlServer control(&controller, &log);
    const QString controlPath = options.controlSocket.isEmpty()
            ? ControlSocket::defaultPath(config->path())
            : options.controlSocket;
    if (const Result<void> listening = control.listen(controlPath); !listening)
        return fail(listening.error(), &log);

    // Warnings while starting (an expired certificate, say) reach the admin's terminal too.
    const QMetaObject::Connection startupWarnings = QObject::connect(&log,
            &EventLog::eventLogged,
            [](const QDateTime &, EventLog::Level level, const QString &message) {
                if (level == EventLog::Level::Warning)
                    std::fprintf(stderr, "studio-proxy: warning: %s\n", qUtf8Printable(message));
            });
    const Result<void> started = controller.start();
    QObject::disconnect(startupWarnings);
    if (!started)
        return fail(started.error(), &log);

    const Result<ProxyStatus> status = controller.status();
    const QString serving =
            u"listening on port %1 of all addresses (%2://localhost:%1/), "
            "relaying to %3"_s.arg(
                    QString::number(status->port), settings->scheme(), settings->engine.toString());
    log.info(u"studio-proxy %1 started with %2; control socket %3"_s.arg(
            QCoreApplication::applicationVersion(), settings->configPath, controlPath));
    log.info(serving);
    std::printf("studio-proxy: %s\nstudio-proxy: log: %s\nstudio-proxy: control: %s\n",
            qUtf8Printable(serving),
            qUtf8Printable(log.filePath()),
            qUtf8Printable(controlPath));
    std::fflush(stdout);

    const int code = QCoreApplication::exec();
    log.info(u"stopped"_s);
    return code;
}

#include "proxyconnection.h"

#include "control/controlclient.h"
#include "control/controlsocket.h"
#include "control/proxycontroller.h"

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

// A proxy that does not answer its control socket within this long is taken for gone.
constexpr int ProbeTimeoutMs = 1500;

Result<std::unique_ptr<Controller>> createBuiltIn(
        const QString &configPath, const QString &logFolder)
{
    Result<std::unique_ptr<ProxyController>> controller =
            ProxyController::fromConfigFile(configPath, logFolder);
    if (!controller)
        return controller.error();
    return std::unique_ptr<Controller>(std::move(controller.value()));
}

} // namespace

ProxyConnection::ProxyConnection(QObject *parent)
    : QObject(parent)
{
    m_poll.setInterval(PollIntervalMs);
    connect(&m_poll, &QTimer::timeout, this, &ProxyConnection::refresh);
}

QString ProxyConnection::description() const
{
    switch (m_mode) {
    case Mode::BuiltIn:
        return tr("the built-in proxy");
    case Mode::Headless:
        return m_hasStatus ? tr("the headless proxy (pid %1, control socket %2)")
                                     .arg(m_status.pid)
                                     .arg(m_socketPath)
                           : tr("the headless proxy (control socket %1)").arg(m_socketPath);
    case Mode::None:
        break;
    }
    return tr("no proxy");
}

void ProxyConnection::useBuiltIn(const QString &configPath, bool startNow, const QString &logFolder)
{
    m_mode = Mode::BuiltIn;
    m_configPath = configPath;
    m_socketPath.clear();
    m_hasStatus = false;
    m_sessions.clear();
    emit modeChanged();
    m_thread.setController([configPath, logFolder] { return createBuiltIn(configPath, logFolder); },
            this,
            [this, startNow](Result<void> created) {
                if (!created) {
                    emit unavailable(created.error().message);
                    return;
                }
                if (startNow)
                    start();
                refresh();
            });
    m_poll.start();
}

void ProxyConnection::useHeadless(const QString &socketPath)
{
    m_mode = Mode::Headless;
    m_socketPath = socketPath;
    m_hasStatus = false;
    m_sessions.clear();
    emit modeChanged();
    m_thread.setController(
            [socketPath]() -> Result<std::unique_ptr<Controller>> {
                auto client = std::make_unique<ControlClient>(socketPath, ProbeTimeoutMs * 10);
                if (const Result<void> connected = client->connectToProxy(); !connected)
                    return connected.error();
                return std::unique_ptr<Controller>(std::move(client));
            },
            this,
            [this](Result<void> connected) {
                if (!connected)
                    emit unavailable(connected.error().message);
                refresh();
            });
    m_poll.start();
}

void ProxyConnection::refresh()
{
    // One refresh at a time: a proxy slow to answer must not pile up requests.
    if (m_refreshing || m_mode == Mode::None)
        return;
    m_refreshing = true;
    m_thread.call<ProxyStatus>([](Controller &controller) { return controller.status(); },
            this,
            [this](const Result<ProxyStatus> &status) {
                if (!status) {
                    m_refreshing = false;
                    emit unavailable(status.error().message);
                    return;
                }
                m_status = status.value();
                m_hasStatus = true;
                m_configPath = m_status.configPath;
                emit statusChanged();
            });
    m_thread.call<QList<SessionInfo>>([](Controller &controller) { return controller.sessions(); },
            this,
            [this](const Result<QList<SessionInfo>> &sessions) {
                m_refreshing = false;
                if (!sessions)
                    return;
                m_sessions = sessions.value();
                emit sessionsChanged();
            });
}

void ProxyConnection::finish(const QString &command, bool ok, const QString &message)
{
    emit commandFinished(command, ok, message);
    refresh();
}

namespace {

// Start and Stop exist only for the proxy built into this process (a headless one is its
// service manager's); the controller thread hands them the controller it runs.
ProxyController *builtInProxy(Controller &controller)
{
    return dynamic_cast<ProxyController *>(&controller);
}

Error notBuiltIn()
{
    return Error { ErrorCode::ControlFailed, QStringLiteral("not a built-in proxy") };
}

} // namespace

void ProxyConnection::start()
{
    if (m_mode == Mode::Headless) {
        restart(); // a headless proxy that stopped listening serves again after RESTART PROXY
        return;
    }
    m_thread.call<QString>(
            [](Controller &controller) -> Result<QString> {
                ProxyController *builtIn = builtInProxy(controller);
                if (!builtIn)
                    return notBuiltIn();
                if (builtIn->state() == ProxyStatus::State::Running)
                    return QStringLiteral("the proxy is already running");
                const Result<void> started = builtIn->start();
                if (!started)
                    return started.error();
                const Result<ProxyStatus> status = builtIn->status();
                return QStringLiteral("started: serving %1 on port %2")
                        .arg(status->protocol == ProxyProtocol::Tls ? QStringLiteral("wss")
                                                                    : QStringLiteral("ws"))
                        .arg(status->port);
            },
            this,
            [this](const Result<QString> &started) {
                finish(u"start"_s,
                        started.ok(),
                        started ? started.value() : started.error().message);
            });
}

void ProxyConnection::stop()
{
    if (m_mode != Mode::BuiltIn) {
        finish(u"stop"_s,
                false,
                tr("a headless proxy is stopped by its service manager (systemctl stop, or "
                   "SIGTERM), not from here"));
        return;
    }
    m_thread.call<QString>(
            [](Controller &controller) -> Result<QString> {
                ProxyController *builtIn = builtInProxy(controller);
                if (!builtIn)
                    return notBuiltIn();
                builtIn->stop();
                return QStringLiteral("stopped; open sessions were sent Close 1001");
            },
            this,
            [this](const Result<QString> &stopped) {
                finish(u"stop"_s, stopped.ok(), stopped ? stopped.value() : QString());
            });
}

void ProxyConnection::restart()
{
    m_thread.call<QString>([](Controller &controller) { return controller.restart(); },
            this,
            [this](const Result<QString> &restarted) {
                finish(u"restart"_s,
                        restarted.ok(),
                        restarted ? restarted.value() : restarted.error().message);
            });
}

void ProxyConnection::closeSession(quint64 id)
{
    m_thread.call<void>([id](Controller &controller) { return controller.closeSession(id); },
            this,
            [this, id](const Result<void> &closed) {
                finish(u"close-session"_s,
                        closed.ok(),
                        closed ? tr("session %1 closed").arg(id) : closed.error().message);
            });
}

void ProxyConnection::setVariables(const QList<QPair<QString, QString>> &values, bool restartAfter)
{
    m_thread.call<QString>(
            [values, restartAfter](Controller &controller) -> Result<QString> {
                QStringList notes;
                for (const auto &[name, value] : values) {
                    const Result<QStringList> set = controller.set(name, value);
                    if (!set)
                        return set.error();
                    notes << set.value();
                }
                if (!restartAfter)
                    return notes.join(u"; "_s);
                const Result<QString> restarted = controller.restart();
                if (!restarted)
                    return restarted.error();
                return restarted.value();
            },
            this,
            [this](const Result<QString> &done) {
                finish(u"set"_s, done.ok(), done ? done.value() : done.error().message);
            });
}

void ProxyConnection::updateConfig(const QString &key, const std::optional<QString> &value)
{
    m_thread.call<ConfigUpdate>(
            [key, value](Controller &controller) { return controller.updateConfig(key, value); },
            this,
            [this](const Result<ConfigUpdate> &update) {
                finish(u"update-config"_s,
                        update.ok(),
                        update ? tr("%1: %2").arg(update->file, update->change)
                               : update.error().message);
            });
}

void ProxyConnection::lookForHeadless()
{
    m_thread.run<QList<HeadlessInstance>>(
            [] {
                QList<HeadlessInstance> found;
                for (const QString &path : ControlSocket::findRunning()) {
                    ControlClient client(path, ProbeTimeoutMs);
                    const Result<ProxyStatus> status = client.status();
                    if (status && status->pid != QCoreApplication::applicationPid())
                        found.append({ path, status.value() });
                }
                return found;
            },
            this,
            [this](const QList<HeadlessInstance> &found) { emit headlessFound(found); });
}

} // namespace StudioProxy

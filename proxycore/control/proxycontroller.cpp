#include "control/proxycontroller.h"

#include "certs/tlsidentity.h"
#include "config/configeditor.h"
#include "control/sqlstatements.h"
#include "log/eventlog.h"
#include "proxy/listener.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSslCertificate>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

constexpr int ExpiryWarningDays = 30;

// Whether this process may bind port: below ip_unprivileged_port_start (1024 unless changed)
// that takes root or CAP_NET_BIND_SERVICE.
bool mayBind(quint16 port)
{
    QFile threshold(u"/proc/sys/net/ipv4/ip_unprivileged_port_start"_s);
    const int firstUnprivileged =
            threshold.open(QIODevice::ReadOnly) ? threshold.readAll().trimmed().toInt() : 1024;
    if (port >= firstUnprivileged || ::geteuid() == 0)
        return true;

    constexpr int CapNetBindService = 10;
    QFile status(u"/proc/self/status"_s);
    if (!status.open(QIODevice::ReadOnly))
        return false;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("CapEff:"))
            return (line.mid(7).trimmed().toULongLong(nullptr, 16) >> CapNetBindService) & 1;
    }
    return false;
}

QString describeServing(const ProxySettings &settings)
{
    return u"%1 on port %2"_s.arg(settings.scheme(), QString::number(settings.port));
}

} // namespace

Result<std::unique_ptr<ProxyController>> ProxyController::fromConfigFile(
        const QString &configPath, const QString &logFolderOverride)
{
    const Result<ConfigFile> config = ConfigFile::read(configPath);
    if (!config)
        return config.error();
    const Result<ProxySettings> settings = engineSettingsFrom(config.value(), logFolderOverride);
    if (!settings)
        return settings.error();
    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config.value());
    if (!variables)
        return variables.error();
    auto log = std::make_unique<EventLog>();
    if (const Result<void> opened = log->open(settings->logFolder); !opened)
        return opened.error();
    auto controller = std::make_unique<ProxyController>(
            config.value(), variables.value(), settings.value(), log.get());
    log.release()->setParent(controller.get());
    return { std::move(controller) };
}

ProxyController::ProxyController(const ConfigFile &config,
        const RuntimeVariables &variables,
        const ProxySettings &startup,
        EventLog *log,
        QObject *parent)
    : QObject(parent)
    , m_configPath(config.path())
    , m_variables(variables)
    , m_base(startup)
    , m_log(log)
    , m_proxy(log)
{
    if (const ConfigEntry *port = config.find(u"port"_s); port && port->value.toUInt())
        m_enginePort = quint16(port->value.toUInt());
    connect(&m_proxy, &Proxy::listenerFailed, this, &ProxyController::onListenerFailed);
    connect(&m_proxy, &Proxy::stopped, this, &ProxyController::stopped);
}

ProxyController::~ProxyController() = default;

Result<void> ProxyController::start()
{
    const Result<QString> started = apply();
    if (!started)
        return started.error();
    return {};
}

void ProxyController::stop()
{
    m_proxy.stop();
    m_state = ProxyStatus::State::Stopped;
    emit stateChanged();
}

QList<Conflict> ProxyController::conflicts() const
{
    QList<Conflict> found;
    const quint16 https = m_variables.port(u"https_proxy_port"_s);
    const quint16 http = m_variables.port(u"http_proxy_port"_s);
    if (https && http) {
        found.append({ Conflict::Severity::Error,
                u"https_proxy_port and http_proxy_port are both set; set one of them to 0 "
                "(RESTART PROXY is refused until then)"_s,
                Conflict::Kind::BothPorts });
    }
    if (https && (!m_variables.isSet(u"ssl_cert"_s) || !m_variables.isSet(u"ssl_key"_s))) {
        found.append({ Conflict::Severity::Error,
                u"https_proxy_port requires SSL: set ssl_cert and ssl_key"_s,
                Conflict::Kind::HttpsWithoutSsl });
    }
    for (const quint16 port : { https, http }) {
        if (port && port == m_enginePort) {
            found.append({ Conflict::Severity::Error,
                    u"the proxy port %1 is the engine's own port; choose another"_s.arg(port),
                    Conflict::Kind::PortIsEnginePort });
        }
        if (port && !mayBind(port)) {
            found.append({ Conflict::Severity::Warning,
                    u"port %1 is privileged: binding it needs root or CAP_NET_BIND_SERVICE"_s.arg(
                            port),
                    Conflict::Kind::PrivilegedPort });
        }
    }
    const qint64 ping = m_variables.integer(u"proxy_ping_interval"_s);
    if (ping > 0 && m_variables.integer(u"proxy_pong_timeout"_s) <= ping) {
        found.append({ Conflict::Severity::Error,
                u"proxy_pong_timeout must be longer than proxy_ping_interval, or healthy "
                "clients are cut off before they are pinged"_s,
                Conflict::Kind::PongTimeout });
    }
    if (https && m_variables.isSet(u"ssl_cert"_s)) {
        const QList<QSslCertificate> chain =
                QSslCertificate::fromPath(m_variables.value(u"ssl_cert"_s));
        const QDateTime now = QDateTime::currentDateTimeUtc();
        if (!chain.isEmpty() && chain.front().expiryDate() < now) {
            found.append({ Conflict::Severity::Warning,
                    u"the certificate in ssl_cert expired on %1"_s.arg(
                            chain.front().expiryDate().toString(Qt::ISODate)),
                    Conflict::Kind::CertificateExpiry });
        } else if (!chain.isEmpty()
                && chain.front().expiryDate() < now.addDays(ExpiryWarningDays)) {
            found.append({ Conflict::Severity::Warning,
                    u"the certificate in ssl_cert expires on %1, within %2 days"_s.arg(
                            chain.front().expiryDate().toString(Qt::ISODate),
                            QString::number(ExpiryWarningDays)),
                    Conflict::Kind::CertificateExpiry });
        }
    }
    return found;
}

Result<QList<SessionInfo>> ProxyController::sessions()
{
    return m_proxy.sessions();
}

Result<void> ProxyController::closeSession(quint64 id)
{
    if (!m_proxy.closeSession(id)) {
        return Error { ErrorCode::InvalidValue,
            u"no open session has the id %1; it may have ended already"_s.arg(id) };
    }
    return {};
}

Result<ProxyStatus> ProxyController::status()
{
    ProxyStatus status;
    status.state = m_state;
    if (m_state == ProxyStatus::State::Running) {
        status.protocol = m_serving.protocol;
        status.address = m_serving.bindAddress == QHostAddress(QHostAddress::Any)
                ? u"*"_s // every address, IPv4 and IPv6
                : m_serving.bindAddress.toString();
        status.port = m_proxy.port();
        status.certificateFingerprint = m_fingerprint;
        status.since = m_since;
    }
    status.failureReason = m_failureReason;
    status.failedAt = m_failedAt;
    status.activeSessions = m_proxy.sessionCount();
    status.totalSessions = m_proxy.totalSessions();
    status.bytesToEngine = m_proxy.bytesToEngine();
    status.bytesToClient = m_proxy.bytesToClient();
    for (const RuntimeVariables::Definition &definition : RuntimeVariables::definitions()) {
        const QString value = m_variables.value(definition.name);
        status.variables.append({ definition.name,
                value.isEmpty() && definition.kind == RuntimeVariables::Kind::Port ? u"0"_s : value,
                m_variables.source(definition.name) });
    }
    status.conflicts = conflicts();
    status.configPath = m_configPath;
    status.logPath = m_log->filePath();
    status.engine = m_base.engine.toString();
    status.pid = QCoreApplication::applicationPid();
    return status;
}

Result<QStringList> ProxyController::set(const QString &name, const QString &value)
{
    const Result<void> stored = m_variables.set(name, value);
    if (!stored)
        return stored.error();
    const QString now = m_variables.isSet(name) ? u"\"%1\""_s.arg(m_variables.value(name))
                                                : u"unset (0 for a port)"_s;
    m_log->info(u"runtime variable %1 set to %2; RESTART PROXY applies it"_s.arg(name, now));

    QStringList warnings;
    for (const Conflict &conflict : conflicts()) {
        if (conflict.severity == Conflict::Severity::Error
                && m_variables.port(u"https_proxy_port"_s)
                && m_variables.port(u"http_proxy_port"_s)) {
            // Stored all the same: the admin resolves it with the next SET GLOBAL.
            m_log->warning(conflict.message);
            return Error { ErrorCode::PortConflict,
                u"https_proxy_port and http_proxy_port are now both set; the running proxy is "
                "unchanged, and RESTART PROXY is refused until one of them is 0"_s };
        }
        warnings << conflict.message;
    }
    return warnings;
}

Result<QString> ProxyController::restart()
{
    const Result<QString> restarted = apply();
    if (!restarted) {
        const QString still = m_state == ProxyStatus::State::Running
                ? u"; still serving %1"_s.arg(describeServing(m_serving))
                : QString();
        m_log->error(u"RESTART PROXY failed: %1%2"_s.arg(restarted.error().message, still));
        return Error { restarted.error().code, restarted.error().message + still };
    }
    return restarted;
}

// Prepares everything the variables name (certificate, key, port) before it touches what
// serves now; only then swaps. Any error leaves the running listener as it was.
Result<QString> ProxyController::apply()
{
    QElapsedTimer timer;
    timer.start();

    const Result<ProxySettings> settings = applyVariables(m_variables, m_base);
    if (!settings && settings.error().code == ErrorCode::NoProxyPort
            && m_state != ProxyStatus::State::Stopped) {
        // Both ports 0: the admin switched the proxy off.
        m_proxy.closeListener();
        m_state = ProxyStatus::State::Stopped;
        m_log->info(u"RESTART PROXY: both proxy ports are 0; no longer listening"_s);
        emit stateChanged();
        return u"the proxy no longer listens: both proxy ports are 0"_s;
    }
    if (!settings)
        return settings.error();
    for (const Conflict &conflict : conflicts()) {
        if (conflict.severity == Conflict::Severity::Error)
            return Error { ErrorCode::PortConflict, conflict.message };
    }

    std::optional<TlsIdentity> tls;
    if (settings->protocol == ProxyProtocol::Tls) {
        Result<TlsIdentity> identity = TlsIdentity::load(settings->sslCert,
                settings->sslKey,
                settings->sslCa,
                settings->sslKeyPassphraseFile);
        if (!identity)
            return identity.error();
        tls = std::move(identity.value());
        for (const QString &warning : tls->warnings())
            m_log->warning(warning);
    }

    Result<std::unique_ptr<Listener>> listener = m_proxy.prepareListener(settings.value(), tls);
    if (!listener)
        return listener.error();

    const bool wasRunning = m_state == ProxyStatus::State::Running;
    const QString before = describeServing(m_serving);
    m_proxy.serve(std::move(listener.value()), settings.value());
    m_serving = settings.value();
    m_fingerprint = tls ? tls->fingerprint() : QString();
    m_since = QDateTime::currentDateTimeUtc();
    m_state = ProxyStatus::State::Running;
    m_failureReason.clear();
    m_failedAt = QDateTime();
    emit stateChanged();

    const QString now = describeServing(m_serving);
    const QString took = QString::number(timer.nsecsElapsed() / 1e6, 'f', 2);
    QString summary = wasRunning
            ? u"restarted: serving %1 (was %2), ready in %3 ms"_s.arg(now, before, took)
            : u"serving %1, ready in %2 ms"_s.arg(now, took);
    if (tls)
        summary += u"; certificate SHA-256 %1"_s.arg(m_fingerprint);
    m_log->info(summary);
    return summary;
}

void ProxyController::onListenerFailed(const QString &reason)
{
    // No restart of our own: the admin decides (RESTART PROXY) once the cause is fixed.
    m_state = ProxyStatus::State::Failed;
    m_failureReason = reason;
    m_failedAt = QDateTime::currentDateTimeUtc();
    m_log->error(u"the proxy failed and will not restart by itself: %1; open sessions carry "
                 "on; RESTART PROXY once the cause is fixed"_s.arg(reason));
    emit stateChanged();
}

Result<QList<StatementResult>> ProxyController::sql(const QString &statements)
{
    return runStatements(*this, statements);
}

Result<ConfigUpdate> ProxyController::updateConfig(
        const QString &key, const std::optional<QString> &value)
{
    // The config file is the engine's too: update-config touches the proxy's variables only.
    if (!RuntimeVariables::definition(key.trimmed().toLower().replace(u'-', u'_'))) {
        return Error { ErrorCode::InvalidValue,
            u"\"%1\" is not one of the proxy's variables; see ctl status for them"_s.arg(key) };
    }
    Result<ConfigUpdate> update = ConfigEditor::update(m_configPath, key, value);
    if (update) {
        m_log->info(u"config file %1 updated: %2 (backup %3)"_s.arg(
                update->file, update->change, update->backup));
    }
    return update;
}

} // namespace StudioProxy

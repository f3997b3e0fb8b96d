#pragma once

#include "config/proxysettings.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <utility>

namespace StudioProxy {

// What one click can do about a conflict; the desktop app offers it as a button.
struct ConflictFix
{
    enum class Action {
        None,
        SetVariable, // set key to value, at runtime and in the config file
        UseThisProxy, // point Studio's cluster clusterId at this proxy
        OpenCertificates, // the certificate needs the admin's choices (the Certificates page)
    };

    Action action = Action::None;
    QString label; // "Set http_proxy_port to 0"
    QString key;
    QString value;
    QString clusterId;
};

// Something in the runtime variables, or around them, an admin should resolve. Errors block
// RESTART PROXY; warnings do not.
struct Conflict
{
    enum class Severity { Error, Warning };
    enum class Kind {
        Other,
        BothPorts,
        HttpsWithoutSsl,
        PortIsEnginePort,
        PrivilegedPort,
        PongTimeout,
        CertificateExpiry,
        PortInUse,
        ClusterMismatch,
        CertificateName,
    };

    Conflict() = default;

    Conflict(Severity severity_, QString message_, Kind kind_ = Kind::Other)
        : severity(severity_)
        , message(std::move(message_))
        , kind(kind_)
    { }

    Severity severity = Severity::Error;
    QString message;
    Kind kind = Kind::Other;
    ConflictFix fix; // not sent over the control channel: the app works it out

    static QString kindName(Kind kind);
    static Kind kindFromName(const QString &name);
};

// A snapshot of the proxy: the runtime variables and the actual state side by side, since
// they differ between a SET GLOBAL and the RESTART PROXY that applies it.
// A byte count as people read it: "512 B", "3.4 MiB".
QString formatBytes(qint64 bytes);

struct ProxyStatus
{
    enum class State { Stopped, Running, Failed };

    State state = State::Stopped;

    // While running: what actually serves.
    ProxyProtocol protocol = ProxyProtocol::Plain;
    QString address;
    quint16 port = 0;
    QString certificateFingerprint;
    QDateTime since;

    // While failed.
    QString failureReason;
    QDateTime failedAt;

    int activeSessions = 0;
    quint64 totalSessions = 0;
    qint64 bytesToEngine = 0;
    qint64 bytesToClient = 0;

    // Name, value and where the value came from, in the order of RuntimeVariables.
    struct Variable
    {
        QString name;
        QString value;
        QString source;
    };

    QList<Variable> variables;
    QList<Conflict> conflicts;

    QString configPath;
    QString logPath;
    QString engine;
    qint64 pid = 0;

    static QString stateName(State state);
    QJsonObject toJson() const;
    static ProxyStatus fromJson(const QJsonObject &json);
    QString toText() const;
};

} // namespace StudioProxy

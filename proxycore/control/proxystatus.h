#pragma once

#include "config/proxysettings.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace StudioProxy {

// Something in the runtime variables an admin should resolve. Errors block RESTART PROXY;
// warnings do not.
struct Conflict
{
    enum class Severity { Error, Warning };

    Severity severity = Severity::Error;
    QString message;
};

// A snapshot of the proxy: the runtime variables and the actual state side by side, since
// they differ between a SET GLOBAL and the RESTART PROXY that applies it.
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

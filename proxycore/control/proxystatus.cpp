#include "control/proxystatus.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

ProxyStatus::State stateFromName(const QString &name)
{
    if (name == u"running")
        return ProxyStatus::State::Running;
    if (name == u"failed")
        return ProxyStatus::State::Failed;
    return ProxyStatus::State::Stopped;
}

} // namespace

QString formatBytes(qint64 bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double value = double(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    return unit == 0 ? u"%1 B"_s.arg(bytes)
                     : u"%1 %2"_s.arg(value, 0, 'f', 1).arg(QLatin1StringView(units[unit]));
}

namespace {

struct KindName
{
    Conflict::Kind kind;
    const char *name;
};

constexpr KindName KindNames[] = {
    { Conflict::Kind::Other, "other" },
    { Conflict::Kind::BothPorts, "both-ports" },
    { Conflict::Kind::HttpsWithoutSsl, "https-without-ssl" },
    { Conflict::Kind::PortIsEnginePort, "engine-port" },
    { Conflict::Kind::PrivilegedPort, "privileged-port" },
    { Conflict::Kind::PongTimeout, "pong-timeout" },
    { Conflict::Kind::CertificateExpiry, "certificate-expiry" },
    { Conflict::Kind::PortInUse, "port-in-use" },
    { Conflict::Kind::ClusterMismatch, "cluster-mismatch" },
    { Conflict::Kind::CertificateName, "certificate-name" },
};

} // namespace

QString Conflict::kindName(Kind kind)
{
    for (const KindName &entry : KindNames) {
        if (entry.kind == kind)
            return QString::fromLatin1(entry.name);
    }
    return u"other"_s;
}

Conflict::Kind Conflict::kindFromName(const QString &name)
{
    for (const KindName &entry : KindNames) {
        if (name == QLatin1StringView(entry.name))
            return entry.kind;
    }
    return Kind::Other;
}

QString ProxyStatus::stateName(State state)
{
    switch (state) {
    case State::Running:
        return u"running"_s;
    case State::Failed:
        return u"failed"_s;
    case State::Stopped:
        break;
    }
    return u"stopped"_s;
}

QJsonObject ProxyStatus::toJson() const
{
    QJsonArray variableList;
    for (const Variable &variable : variables) {
        variableList.append(QJsonObject { { u"name"_s, variable.name },
                { u"value"_s, variable.value },
                { u"source"_s, variable.source } });
    }
    QJsonArray conflictList;
    for (const Conflict &conflict : conflicts) {
        conflictList.append(QJsonObject {
                { u"severity"_s,
                        conflict.severity == Conflict::Severity::Error ? u"error"_s
                                                                       : u"warning"_s },
                { u"message"_s, conflict.message },
                { u"kind"_s, Conflict::kindName(conflict.kind) } });
    }

    QJsonObject json { { u"state"_s, stateName(state) },
        { u"activeSessions"_s, activeSessions },
        { u"totalSessions"_s, qint64(totalSessions) },
        { u"bytesToEngine"_s, bytesToEngine },
        { u"bytesToClient"_s, bytesToClient },
        { u"variables"_s, variableList },
        { u"conflicts"_s, conflictList },
        { u"configPath"_s, configPath },
        { u"logPath"_s, logPath },
        { u"engine"_s, engine },
        { u"pid"_s, pid } };
    if (state == State::Running) {
        json.insert(u"protocol"_s, protocol == ProxyProtocol::Tls ? u"wss"_s : u"ws"_s);
        json.insert(u"address"_s, address);
        json.insert(u"port"_s, port);
        json.insert(u"since"_s, since.toString(Qt::ISODateWithMs));
        if (!certificateFingerprint.isEmpty())
            json.insert(u"certificateFingerprint"_s, certificateFingerprint);
    }
    if (state == State::Failed) {
        json.insert(u"failureReason"_s, failureReason);
        json.insert(u"failedAt"_s, failedAt.toString(Qt::ISODateWithMs));
    }
    return json;
}

ProxyStatus ProxyStatus::fromJson(const QJsonObject &json)
{
    ProxyStatus status;
    status.state = stateFromName(json.value(u"state"_s).toString());
    status.protocol = json.value(u"protocol"_s).toString() == u"wss" ? ProxyProtocol::Tls
                                                                     : ProxyProtocol::Plain;
    status.address = json.value(u"address"_s).toString();
    status.port = quint16(json.value(u"port"_s).toInt());
    status.certificateFingerprint = json.value(u"certificateFingerprint"_s).toString();
    status.since = QDateTime::fromString(json.value(u"since"_s).toString(), Qt::ISODateWithMs);
    status.failureReason = json.value(u"failureReason"_s).toString();
    status.failedAt =
            QDateTime::fromString(json.value(u"failedAt"_s).toString(), Qt::ISODateWithMs);
    status.activeSessions = json.value(u"activeSessions"_s).toInt();
    status.totalSessions = quint64(json.value(u"totalSessions"_s).toInteger());
    status.bytesToEngine = json.value(u"bytesToEngine"_s).toInteger();
    status.bytesToClient = json.value(u"bytesToClient"_s).toInteger();
    for (const QJsonValue &value : json.value(u"variables"_s).toArray()) {
        const QJsonObject variable = value.toObject();
        status.variables.append({ variable.value(u"name"_s).toString(),
                variable.value(u"value"_s).toString(),
                variable.value(u"source"_s).toString() });
    }
    for (const QJsonValue &value : json.value(u"conflicts"_s).toArray()) {
        const QJsonObject conflict = value.toObject();
        status.conflicts.append({ conflict.value(u"severity"_s).toString() == u"warning"
                        ? Conflict::Severity::Warning
                        : Conflict::Severity::Error,
                conflict.value(u"message"_s).toString(),
                Conflict::kindFromName(conflict.value(u"kind"_s).toString()) });
    }
    status.configPath = json.value(u"configPath"_s).toString();
    status.logPath = json.value(u"logPath"_s).toString();
    status.engine = json.value(u"engine"_s).toString();
    status.pid = json.value(u"pid"_s).toInteger();
    return status;
}

QString ProxyStatus::toText() const
{
    QString text = u"state:        %1\n"_s.arg(stateName(state));
    if (state == State::Running) {
        text += u"serving:      %1 on port %2 of %3\n"_s.arg(
                protocol == ProxyProtocol::Tls ? u"wss"_s : u"ws"_s,
                QString::number(port),
                address == u"*" ? u"all addresses"_s : address);
        if (!certificateFingerprint.isEmpty())
            text += u"certificate:  SHA-256 %1\n"_s.arg(certificateFingerprint);
        text += u"since:        %1\n"_s.arg(since.toString(Qt::ISODate));
    }
    if (state == State::Failed) {
        text += u"failed at:    %1\n"_s.arg(failedAt.toString(Qt::ISODate));
        text += u"reason:       %1\n"_s.arg(failureReason);
    }
    text += u"sessions:     %1 active, %2 since start\n"_s.arg(activeSessions).arg(totalSessions);
    text += u"relayed:      %1 client to engine, %2 engine to client\n"_s.arg(
            formatBytes(bytesToEngine), formatBytes(bytesToClient));
    text += u"engine:       %1\nconfig:       %2\nlog:          %3\n"_s.arg(
            engine, configPath, logPath);

    text += u"\nruntime variables:\n"_s;
    for (const Variable &variable : variables) {
        text += u"  %1 = %2%3\n"_s.arg(variable.name.leftJustified(17),
                variable.value.isEmpty() ? u"(unset)"_s : variable.value,
                variable.source.isEmpty() ? QString() : u"   [%1]"_s.arg(variable.source));
    }
    if (!conflicts.isEmpty()) {
        text += u"\nconflicts:\n"_s;
        for (const Conflict &conflict : conflicts) {
            text += u"  %1: %2\n"_s.arg(
                    conflict.severity == Conflict::Severity::Error ? u"error"_s : u"warning"_s,
                    conflict.message);
        }
    }
    return text;
}

} // namespace StudioProxy

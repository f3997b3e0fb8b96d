#include "control/conflictfinder.h"

#include "certs/certinspection.h"
#include "certs/hostnames.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QNetworkInterface>
#include <QSysInfo>

#include <algorithm>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

// The inode of the listening socket on port, from /proc/net/tcp or tcp6 ("0A" is LISTEN).
QString listeningInode(quint16 port)
{
    for (const QString &table : { u"/proc/net/tcp"_s, u"/proc/net/tcp6"_s }) {
        QFile file(table);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        file.readLine(); // the column titles
        while (!file.atEnd()) {
            const QList<QByteArray> fields = file.readLine().simplified().split(' ');
            if (fields.size() < 10 || fields.at(3) != "0A")
                continue;
            const QByteArray local = fields.at(1);
            const qsizetype colon = local.lastIndexOf(':');
            if (colon >= 0 && local.mid(colon + 1).toUInt(nullptr, 16) == port)
                return QString::fromLatin1(fields.at(9));
        }
    }
    return QString();
}

QString linkTarget(const QString &path)
{
    char buffer[128];
    const ssize_t size = ::readlink(QFile::encodeName(path).constData(), buffer, sizeof buffer);
    return size > 0 ? QString::fromLatin1(buffer, size) : QString();
}

QString variable(const ProxyStatus &status, const QString &name)
{
    for (const ProxyStatus::Variable &entry : status.variables) {
        if (entry.name == name)
            return entry.value;
    }
    return QString();
}

quint16 portVariable(const ProxyStatus &status, const QString &name)
{
    return quint16(variable(status, name).toUInt());
}

// What the proxy serves, or would serve after a restart when it does not run.
struct Serving
{
    bool tls = false;
    quint16 port = 0;
    QString portKey;
};

std::optional<Serving> serving(const ProxyStatus &status)
{
    if (status.state == ProxyStatus::State::Running && status.port)
        return Serving { status.protocol == ProxyProtocol::Tls,
            status.port,
            status.protocol == ProxyProtocol::Tls ? u"https_proxy_port"_s : u"http_proxy_port"_s };
    const quint16 https = portVariable(status, u"https_proxy_port"_s);
    const quint16 http = portVariable(status, u"http_proxy_port"_s);
    if (https && !http)
        return Serving { true, https, u"https_proxy_port"_s };
    if (http && !https)
        return Serving { false, http, u"http_proxy_port"_s };
    return std::nullopt;
}

ConflictFix setVariable(const QString &key, const QString &value)
{
    return ConflictFix {
        ConflictFix::Action::SetVariable, u"Set %1 to %2"_s.arg(key, value), key, value, QString()
    };
}

ConflictFix openCertificates(const QString &label)
{
    return ConflictFix { ConflictFix::Action::OpenCertificates, label, {}, {}, {} };
}

// The fixes for what the controller reports.
void addFix(Conflict &conflict, const ProxyStatus &status)
{
    const quint16 https = portVariable(status, u"https_proxy_port"_s);
    const quint16 http = portVariable(status, u"http_proxy_port"_s);
    const QString portKey = https ? u"https_proxy_port"_s : u"http_proxy_port"_s;
    switch (conflict.kind) {
    case Conflict::Kind::BothPorts:
        // Keep HTTPS when it can serve: Studio in a browser on an https:// page needs wss://.
        conflict.fix = !variable(status, u"ssl_cert"_s).isEmpty()
                ? setVariable(u"http_proxy_port"_s, u"0"_s)
                : setVariable(u"https_proxy_port"_s, u"0"_s);
        break;
    case Conflict::Kind::HttpsWithoutSsl:
        conflict.fix = openCertificates(u"Choose a certificate"_s);
        break;
    case Conflict::Kind::PortIsEnginePort:
    case Conflict::Kind::PrivilegedPort: {
        const quint16 current = https ? https : http;
        const quint16 from = current < 1024 ? (https ? 8443 : 8080) : quint16(current + 1);
        if (const quint16 port = suggestFreePort(from, current))
            conflict.fix = setVariable(portKey, QString::number(port));
        break;
    }
    case Conflict::Kind::PongTimeout: {
        const qint64 ping = variable(status, u"proxy_ping_interval"_s).toLongLong();
        conflict.fix = setVariable(u"proxy_pong_timeout"_s, QString::number(ping * 2));
        break;
    }
    case Conflict::Kind::CertificateExpiry:
        conflict.fix = openCertificates(u"Renew the certificate"_s);
        break;
    default:
        break;
    }
}

bool isLocal(const QString &hostname, const QStringList &localNames)
{
    QString host = hostname.trimmed().toLower();
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    return localNames.contains(host);
}

} // namespace

PortListener findPortListener(quint16 port)
{
    PortListener found;
    const QString inode = listeningInode(port);
    if (inode.isEmpty())
        return found;
    found.listening = true;

    const QString target = u"socket:[%1]"_s.arg(inode);
    const QDir proc(u"/proc"_s);
    for (const QString &pid : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (!pid.front().isDigit())
            continue;
        const QDir fds(u"/proc/%1/fd"_s.arg(pid));
        for (const QString &fd : fds.entryList(QDir::Files | QDir::System)) {
            if (linkTarget(fds.filePath(fd)) == target) {
                found.pid = pid.toLongLong();
                QFile comm(u"/proc/%1/comm"_s.arg(pid));
                if (comm.open(QIODevice::ReadOnly))
                    found.command = QString::fromLocal8Bit(comm.readAll().trimmed());
                return found;
            }
        }
    }
    return found;
}

quint16 suggestFreePort(quint16 from, quint16 avoid)
{
    for (quint32 port = std::max<quint32>(from, 1); port <= 65535 && port < from + 200u; ++port) {
        if (port != avoid && !findPortListener(quint16(port)).listening)
            return quint16(port);
    }
    return 0;
}

QStringList localHostNames()
{
    QStringList names { u"localhost"_s, u"127.0.0.1"_s, u"::1"_s };
    names << QSysInfo::machineHostName().toLower();
    for (const QHostAddress &address : QNetworkInterface::allAddresses())
        names << address.toString().toLower();
    names.removeDuplicates();
    return names;
}

QList<Conflict> findConflicts(const ConflictInputs &inputs)
{
    const ProxyStatus &status = inputs.status;
    QList<Conflict> found;
    for (Conflict conflict : status.conflicts) {
        addFix(conflict, status);
        found.append(conflict);
    }

    const std::optional<Serving> proxy = serving(status);
    if (!proxy)
        return found;

    // The port held by someone else: the proxy cannot start there, or a restart fails.
    const bool ours = status.state == ProxyStatus::State::Running && status.port == proxy->port;
    if (!ours) {
        const PortListener holder = findPortListener(proxy->port);
        if (holder.listening && (holder.pid == 0 || holder.pid != status.pid)) {
            Conflict conflict(Conflict::Severity::Error,
                    holder.pid ? u"port %1 (%2) is in use by %3 (pid %4)"_s.arg(
                            QString::number(proxy->port),
                            proxy->portKey,
                            holder.command,
                            QString::number(holder.pid))
                               : u"port %1 (%2) is in use by another process"_s.arg(
                                       QString::number(proxy->port), proxy->portKey),
                    Conflict::Kind::PortInUse);
            if (const quint16 port = suggestFreePort(quint16(proxy->port + 1)))
                conflict.fix = setVariable(proxy->portKey, QString::number(port));
            found.append(conflict);
        }
    }

    if (!inputs.clusters)
        return found;
    const QStringList localNames =
            inputs.localNames.isEmpty() ? localHostNames() : inputs.localNames;
    const QString stateFile = inputs.studioStatePath.isEmpty()
            ? u"Studio's state file"_s
            : QFileInfo(inputs.studioStatePath).fileName();
    QStringList studioHosts; // the hostnames Studio reaches this proxy by
    for (const ClusterDefinition &cluster : *inputs.clusters) {
        const bool local = isLocal(cluster.hostname, localNames);
        const bool throughProxy = cluster.websocket && (local || cluster.port == proxy->port);
        // A direct MySQL connection to the proxy's port cannot work either.
        const bool directToProxy = !cluster.websocket && local && cluster.port == proxy->port;
        if (!throughProxy && !directToProxy)
            continue;
        if (throughProxy && !studioHosts.contains(cluster.hostname))
            studioHosts << cluster.hostname;
        if (throughProxy && cluster.websocketSSL == proxy->tls && cluster.port == proxy->port)
            continue;

        Conflict conflict(Conflict::Severity::Error,
                u"Studio's cluster \"%1\" (%2) connects with websocket = %3, websocketSSL = %4, "
                "port %5, but the proxy serves %6 on port %7"_s.arg(cluster.name,
                        stateFile,
                        cluster.websocket ? u"true"_s : u"false"_s,
                        cluster.websocketSSL ? u"true"_s : u"false"_s,
                        QString::number(cluster.port),
                        proxy->tls ? u"wss"_s : u"ws"_s,
                        QString::number(proxy->port)),
                Conflict::Kind::ClusterMismatch);
        conflict.fix = ConflictFix { ConflictFix::Action::UseThisProxy,
            u"Use this proxy for \"%1\""_s.arg(cluster.name),
            {},
            {},
            cluster.id };
        found.append(conflict);
    }

    const QString certPath = variable(status, u"ssl_cert"_s);
    if (!proxy->tls || certPath.isEmpty() || studioHosts.isEmpty())
        return found;
    const Result<CertificateInspection> inspection =
            inspectCertificate(certPath, variable(status, u"ssl_key"_s));
    if (!inspection || !inspection->leaf())
        return found; // the controller reports an unreadable certificate when it starts
    for (const QString &host : studioHosts) {
        const HostMatch match = matchHost(*inspection->leaf(), host);
        if (match.matches)
            continue;
        Conflict conflict(Conflict::Severity::Error,
                u"the certificate %1 does not name %2, the hostname Studio uses: %3"_s.arg(
                        QFileInfo(certPath).fileName(), host, match.sentence),
                Conflict::Kind::CertificateName);
        conflict.fix = openCertificates(u"Make a certificate for %1"_s.arg(host));
        found.append(conflict);
    }
    return found;
}

} // namespace StudioProxy

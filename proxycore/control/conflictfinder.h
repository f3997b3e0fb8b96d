#pragma once

#include "control/proxystatus.h"
#include "studio/studiostate.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace StudioProxy {

// Who listens on a TCP port of this host, from /proc/net/tcp and tcp6; pid 0 when the
// listening socket belongs to a process this user cannot look into.
struct PortListener
{
    bool listening = false;
    qint64 pid = 0;
    QString command; // the process's name (/proc/PID/comm)
};

PortListener findPortListener(quint16 port);

// What the conflict check looks at: the proxy as its controller reports it, and Studio's
// cluster definitions when its state file could be read.
struct ConflictInputs
{
    ProxyStatus status;
    std::optional<QList<ClusterDefinition>> clusters;
    QString studioStatePath; // for messages
    // Names and addresses by which this host is reached; empty: localhost, the loopback
    // addresses, the host name and the addresses of the network interfaces.
    QStringList localNames;
};

// Every conflict an admin should resolve, each with a one-click fix where one exists: those
// the controller reports (both ports, HTTPS without SSL, the engine's port, an expiring
// certificate...) and those only visible from outside it: the port held by another process,
// a Studio cluster definition that does not point at this proxy the way it serves, and a
// certificate that does not name the hostname Studio uses. Reads files and /proc: run it
// off the GUI thread.
QList<Conflict> findConflicts(const ConflictInputs &inputs);

// The first port from `from` up that nothing listens on and that is not `avoid`.
quint16 suggestFreePort(quint16 from, quint16 avoid = 0);

// The names and addresses this host answers to (see ConflictInputs::localNames).
QStringList localHostNames();

} // namespace StudioProxy

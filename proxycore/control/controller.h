#pragma once

#include "control/proxystatus.h"
#include "proxy/sessioninfo.h"
#include "util/result.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace StudioProxy {

// The outcome of one statement of `ctl sql`: OK, a result set, or a MySQL-style error.
struct StatementResult
{
    QString statement;
    int errorNumber = 0; // 0 when the statement succeeded
    QString message; // the error, or a note about a success
    QStringList columns; // empty when there is no result set
    QList<QStringList> rows;

    bool ok() const { return errorNumber == 0; }
};

// What update-config changed.
struct ConfigUpdate
{
    QString file; // the file written
    QString backup; // its previous content
    QString change; // the line as it now reads, or what was removed
};

// What admins and the GUI can do with a proxy. Two implementations: the proxy in this
// process (ProxyController) and a headless one reached through its control socket
// (ControlClient).
class Controller
{
public:
    virtual ~Controller() = default;

    virtual Result<ProxyStatus> status() = 0;

    // A runtime change, not persisted. Returns warnings about what it leads to. Setting both
    // ports stores the value but returns a PortConflict error: RESTART PROXY is refused
    // until one is 0, and the running proxy is untouched.
    virtual Result<QStringList> set(const QString &name, const QString &value) = 0;

    // All or nothing: on error the running listener is unchanged.
    virtual Result<QString> restart() = 0;

    // SET GLOBAL, RESTART PROXY, SHOW VARIABLES [LIKE], SHOW PROXY STATUS; separated by ';'.
    virtual Result<QList<StatementResult>> sql(const QString &statements) = 0;

    // Persists key = value in the config file (no value: removes the key), keeping the rest
    // of the file as it was.
    virtual Result<ConfigUpdate> updateConfig(
            const QString &key, const std::optional<QString> &value) = 0;

    // The open relay sessions, oldest first.
    virtual Result<QList<SessionInfo>> sessions() = 0;

    // Ends one session (Close 1000 to the client, the engine connection closed); an error
    // when no open session has that id.
    virtual Result<void> closeSession(quint64 id) = 0;
};

} // namespace StudioProxy

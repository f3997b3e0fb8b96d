#include "sessionsmodel.h"

#include "control/proxystatus.h"

#include <QHash>

using namespace Qt::StringLiterals;

namespace StudioProxy {

void SessionsModel::setSessions(const QList<SessionInfo> &sessions)
{
    QHash<quint64, int> incoming;
    for (int i = 0; i < sessions.size(); ++i)
        incoming.insert(sessions.at(i).id, i);

    for (int row = int(m_sessions.size()) - 1; row >= 0; --row) {
        if (!incoming.contains(m_sessions.at(row).id)) {
            beginRemoveRows({}, row, row);
            m_sessions.removeAt(row);
            endRemoveRows();
        }
    }
    QList<SessionInfo> added;
    for (const SessionInfo &session : sessions) {
        const int row = rowOf(session.id);
        if (row < 0) {
            added.append(session);
            continue;
        }
        m_sessions[row] = session;
    }
    if (!m_sessions.isEmpty())
        emit dataChanged(index(0, 0), index(int(m_sessions.size()) - 1, ColumnCount - 1));
    if (!added.isEmpty()) {
        const int first = int(m_sessions.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        m_sessions.append(added);
        endInsertRows();
    }
}

int SessionsModel::rowOf(quint64 id) const
{
    for (int row = 0; row < m_sessions.size(); ++row) {
        if (m_sessions.at(row).id == id)
            return row;
    }
    return -1;
}

int SessionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_sessions.size());
}

int SessionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_sessions.size())
        return {};
    const SessionInfo &session = m_sessions.at(index.row());
    if (role == Qt::TextAlignmentRole) {
        const bool number = index.column() == Id || index.column() == EngineConnection
                || index.column() == ToEngine || index.column() == ToClient
                || index.column() == Duration;
        return QVariant::fromValue((number ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    }
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Id:
        return QString::number(session.id);
    case Client:
        return session.clientAddress;
    case Origin:
        return session.origin.isEmpty() ? tr("(none)") : session.origin;
    case EngineConnection:
        return session.engineConnectionId ? QString::number(*session.engineConnectionId)
                                          : tr("(not yet)");
    case ToEngine:
        return formatBytes(session.bytesToEngine);
    case ToClient:
        return formatBytes(session.bytesToClient);
    case Duration:
        return formatDuration(session.durationMs);
    }
    return {};
}

QVariant SessionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Id:
        return tr("Session");
    case Client:
        return tr("Client");
    case Origin:
        return tr("Origin");
    case EngineConnection:
        return tr("Engine connection");
    case ToEngine:
        return tr("To engine");
    case ToClient:
        return tr("To client");
    case Duration:
        return tr("Duration");
    }
    return {};
}

QString SessionsModel::formatDuration(qint64 ms)
{
    const qint64 seconds = ms / 1000;
    if (seconds < 60)
        return u"%1 s"_s.arg(seconds);
    if (seconds < 3600)
        return u"%1 min %2 s"_s.arg(seconds / 60).arg(seconds % 60);
    if (seconds < 86400)
        return u"%1 h %2 min"_s.arg(seconds / 3600).arg((seconds % 3600) / 60);
    return u"%1 d %2 h"_s.arg(seconds / 86400).arg((seconds % 86400) / 3600);
}

} // namespace StudioProxy

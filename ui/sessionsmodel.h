#pragma once

#include "proxy/sessioninfo.h"

#include <QAbstractTableModel>

namespace StudioProxy {

// The open sessions as the Proxy page's table shows them. Updates keep rows in place (new
// sessions are appended, ended ones removed) so that a selection survives a refresh.
class SessionsModel final : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, Client, Origin, EngineConnection, ToEngine, ToClient, Duration, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    void setSessions(const QList<SessionInfo> &sessions);

    const SessionInfo &session(int row) const { return m_sessions.at(row); }

    int rowOf(quint64 id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    static QString formatDuration(qint64 ms);

private:
    QList<SessionInfo> m_sessions;
};

} // namespace StudioProxy

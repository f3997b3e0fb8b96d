#pragma once

#include <QAbstractListModel>
#include <QSortFilterProxyModel>

namespace StudioProxy {

// The lines of websocket_proxy.log ("<UTC time> <LEVEL> <message>"), newest last, at most
// MaxLines of them.
class LogModel final : public QAbstractListModel
{
    Q_OBJECT
public:
    static constexpr int MaxLines = 20000;

    enum Role { LevelRole = Qt::UserRole + 1, LineRole };

    using QAbstractListModel::QAbstractListModel;

    void clear();
    void append(const QStringList &lines);

    // "INFO", "WARN", "ERROR"...: the second field of a line; empty when it has none.
    static QString levelOf(const QString &line);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    QStringList m_lines;
};

// Which of the log's lines to show: those at or above a level, and containing a text.
class LogFilter final : public QSortFilterProxyModel
{
    Q_OBJECT
public:
    enum class MinimumLevel { All, Warning, Error };

    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setMinimumLevel(MinimumLevel level);
    void setText(const QString &text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    MinimumLevel m_level = MinimumLevel::All;
    QString m_text;
};

} // namespace StudioProxy

#include "logmodel.h"

#include <QBrush>
#include <QColor>

using namespace Qt::StringLiterals;

namespace StudioProxy {

void LogModel::clear()
{
    beginResetModel();
    m_lines.clear();
    endResetModel();
}

void LogModel::append(const QStringList &lines)
{
    if (lines.isEmpty())
        return;
    const qsizetype overflow = m_lines.size() + lines.size() - MaxLines;
    if (overflow > 0) {
        const int drop = int(std::min(overflow, m_lines.size()));
        if (drop > 0) {
            beginRemoveRows({}, 0, drop - 1);
            m_lines.remove(0, drop);
            endRemoveRows();
        }
    }
    const QStringList kept = lines.size() > MaxLines ? lines.mid(lines.size() - MaxLines) : lines;
    beginInsertRows({}, int(m_lines.size()), int(m_lines.size() + kept.size()) - 1);
    m_lines += kept;
    endInsertRows();
}

QString LogModel::levelOf(const QString &line)
{
    const qsizetype first = line.indexOf(u' ');
    if (first < 0)
        return QString();
    const qsizetype second = line.indexOf(u' ', first + 1);
    return line.mid(first + 1, second < 0 ? -1 : second - first - 1).trimmed();
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_lines.size());
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_lines.size())
        return {};
    const QString &line = m_lines.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case LineRole:
        return line;
    case LevelRole:
        return levelOf(line);
    case Qt::ForegroundRole: {
        const QString level = levelOf(line);
        if (level.startsWith(u"ERR"))
            return QBrush(QColor(0xb0, 0x00, 0x20));
        if (level.startsWith(u"WARN"))
            return QBrush(QColor(0x8a, 0x53, 0x00));
        return {};
    }
    default:
        return {};
    }
}

void LogFilter::setMinimumLevel(MinimumLevel level)
{
    m_level = level;
    invalidateFilter();
}

void LogFilter::setText(const QString &text)
{
    m_text = text;
    invalidateFilter();
}

bool LogFilter::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    const QString level = index.data(LogModel::LevelRole).toString();
    const bool error = level.startsWith(u"ERR");
    const bool warning = level.startsWith(u"WARN");
    if (m_level == MinimumLevel::Error && !error)
        return false;
    if (m_level == MinimumLevel::Warning && !error && !warning)
        return false;
    return m_text.isEmpty()
            || index.data(LogModel::LineRole).toString().contains(m_text, Qt::CaseInsensitive);
}

} // namespace StudioProxy
